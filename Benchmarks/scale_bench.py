#!/usr/bin/env python3
"""`make bench-scale`: throughput through the whole system, one replica against two, SQLite against
PostgreSQL, printed side by side in one run.

Each configuration is a fresh cluster of release binaries started as separate processes (as compose runs
them): one gateway, AuthSvc and StoreSvc, and ProcessSvc and TagSvc once or twice, on SQLite files or on
one PostgreSQL 15 (scripts/postgres-test-server.sh, with fsync and synchronous_commit turned back on so
that it writes as durably as SQLite's synchronous=FULL). Two figures per configuration:

- tagging: BENCH_UPLOADS photos uploaded by 4 clients; images/s from the first upload until every one
  is tagged (upload, thumbnail, detection, the tag index);
- jobs: BENCH_JOBS dehaze jobs (1600 x 1200) submitted at once; jobs/s from the first submission until
  every one is completed.

Two replicas on SQLite are not a configuration: each process owns its file. Standard library only;
CLEARSKY_BIN_DIR names the binaries (default .build/release)."""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CLEARSKY_BIN_DIR", os.path.join(ROOT, ".build", "release"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Support"))
from cluster import free_ports, request, sign_in  # noqa: E402

UPLOADS = int(os.environ.get("BENCH_UPLOADS", "80"))
JOBS = int(os.environ.get("BENCH_JOBS", "24"))
PHOTO = open(os.path.join(ROOT, "Sources", "TestImages", "Resources", "building.jpg"), "rb").read()
PSQL = "/usr/lib/postgresql/15/bin/psql"
BACKENDS = ["AuthSvc", "StoreSvc", "ProcessSvc", "TagSvc"]
KEYS = {"AuthSvc": "AUTH", "StoreSvc": "STORE", "ProcessSvc": "PROCESS", "TagSvc": "TAG"}
OFFSETS = {"AuthSvc": 1, "StoreSvc": 2, "ProcessSvc": 3, "TagSvc": 4}


class Replicated:
    """One gateway, AuthSvc and StoreSvc; ProcessSvc and TagSvc `replicas` times; on `database` or SQLite."""

    def __init__(self, replicas, database):
        self.data = tempfile.mkdtemp(prefix="clearsky-scale-")
        os.makedirs(os.path.join(self.data, "mail", "outbox"))
        with open(os.path.join(self.data, "cluster.secret"), "w") as secret:
            secret.write(secrets.token_hex(32) + "\n")
        os.chmod(os.path.join(self.data, "cluster.secret"), 0o600)
        bases, self.port = [], None
        while len(bases) < replicas:
            base, http = free_ports()
            if base not in bases:
                bases.append(base)
                self.port = self.port or http
        counts = {"AuthSvc": 1, "StoreSvc": 1, "ProcessSvc": replicas, "TagSvc": replicas}
        environment = dict(
            os.environ, CLEARSKY_DATA_DIR=self.data, CLEARSKY_PLAIN_WIRE="1", CLEARSKY_LOG_LEVEL="warning",
            CLEARSKY_PASSWORD_ITERATIONS="1000")
        if database:
            environment["CLEARSKY_DATABASE_URL"] = database
        for service in BACKENDS:
            environment[f"CLEARSKY_{KEYS[service]}_ADDR"] = ",".join(
                f"127.0.0.1:{bases[index] + OFFSETS[service]}" for index in range(counts[service]))
        self.processes = []
        for service in BACKENDS + ["Gateway"]:
            for index in range(counts.get(service, 1)):
                listen = self.port if service == "Gateway" else bases[index] + OFFSETS[service]
                log = open(os.path.join(self.data, f"{service}-{index}.log"), "w")
                self.processes.append(subprocess.Popen(
                    [os.path.join(BIN, service), "--listen", f"127.0.0.1:{listen}", "--base-port", str(bases[index])],
                    env=environment, stdout=subprocess.DEVNULL, stderr=log))
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=3) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("the cluster did not come up")
            time.sleep(0.2)

    def user(self, name):
        return sign_in(self.url, self.data, name)

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.data, ignore_errors=True)


def wait_all(check, items, limit=900):
    """Polls until `check(item)` holds for every item; the time it took."""
    left = list(items)
    deadline = time.time() + limit
    while left:
        left = [item for item in left if not check(item)]
        if left:
            if time.time() > deadline:
                raise RuntimeError(f"{len(left)} never finished")
            time.sleep(0.1)


def measure(cluster):
    token = cluster.user("bench")
    # Warm-up: one image through the whole path (model loaded, pools connected).
    first = request("POST", cluster.url + "/v1/images", PHOTO, token=token, content_type="image/jpeg")["id"]
    wait_all(lambda image: request("GET", f"{cluster.url}/v1/images/{image}", token=token)["tagging"] == "done",
             [first])
    images, lock = [], threading.Lock()

    def uploader(count):
        for _ in range(count):
            image = request("POST", cluster.url + "/v1/images", PHOTO, token=token, content_type="image/jpeg")["id"]
            with lock:
                images.append(image)

    start = time.time()
    threads = [threading.Thread(target=uploader, args=(UPLOADS // 4,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_all(lambda image: request("GET", f"{cluster.url}/v1/images/{image}", token=token)["tagging"] == "done",
             images)
    tagging = len(images) / (time.time() - start)

    ops = [{"op": "resize", "width": 1600, "height": 1200, "fit": "fill"}, {"op": "dehaze"}]
    start = time.time()
    jobs = [request("POST", cluster.url + "/v1/jobs", {"imageId": images[index % len(images)], "ops": ops},
                    token=token)["id"] for index in range(JOBS)]
    wait_all(lambda job: request("GET", f"{cluster.url}/v1/jobs/{job}", token=token)["status"] == "completed", jobs)
    return tagging, JOBS / (time.time() - start)


def postgres():
    """A PostgreSQL 15 with durable commits; its base URL and a function making a fresh database's URL."""
    folder = tempfile.mkdtemp(prefix="clearsky-scale-pg-")
    port = free_ports()[1]
    script = os.path.join(ROOT, "scripts", "postgres-test-server.sh")
    url = subprocess.check_output([script, "start", folder, str(port)], text=True).strip()
    for setting in ["ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET synchronous_commit = on",
                    "SELECT pg_reload_conf()"]:
        subprocess.check_call([PSQL, url, "-qc", setting], stdout=subprocess.DEVNULL)
    made = []

    def fresh():
        name = f"scale_{len(made)}"
        subprocess.check_call([PSQL, url, "-qc", f"CREATE DATABASE {name}"], stdout=subprocess.DEVNULL)
        made.append(name)
        return url.rsplit("/", 1)[0] + f"/{name}?sslmode=disable"

    def stop():
        subprocess.call([script, "stop", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)

    return fresh, stop


def main():
    fresh, stop = postgres()
    rows = []
    try:
        for (label, replicas, database) in [("SQLite", 1, None), ("PostgreSQL", 1, "pg"), ("PostgreSQL", 2, "pg")]:
            cluster = Replicated(replicas, fresh() if database else None)
            try:
                tagging, jobs = measure(cluster)
            finally:
                cluster.stop()
            rows.append((label, replicas, tagging, jobs))
            print(f"{label:<11} x{replicas}: tagging {tagging:6.2f} images/s, jobs {jobs:6.2f} jobs/s", flush=True)
    finally:
        stop()
    sqlite = rows[0]
    print()
    print(f"{'store':<11} {'ProcessSvc/TagSvc':>17} {'tagging images/s':>17} {'vs SQLite':>9} "
          f"{'jobs/s':>8} {'vs SQLite':>9}")
    for (label, replicas, tagging, jobs) in rows:
        print(f"{label:<11} {'x' + str(replicas):>17} {tagging:17.2f} {tagging / sqlite[2]:9.2f} "
              f"{jobs:8.2f} {jobs / sqlite[3]:9.2f}")
    print(f"{'SQLite':<11} {'x2':>17} {'—':>17} {'':>9} {'—':>8}   (each process owns its file)")
    print(f"\n{UPLOADS} uploads of building.jpg, {JOBS} jobs (resize 1600x1200, dehaze); {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
