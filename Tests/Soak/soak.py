#!/usr/bin/env python3
"""The load-and-fault campaign (`make soak`; a 60-second run in `make test`).

A real `clearsky up` (its own ports and data folder) is driven for SOAK_SECONDS (default 300) by 16
uploaders, 64 readers (gallery pages, thumbnails, content with byte ranges, tag queries), job
submitters and webhook subscribers, while a chaos loop `kill -9`s each service in turn and the
supervisor restarts it. Then the checker proves:

- every acknowledged upload is readable with its SHA-256;
- every accepted job reached a final state, and stored its result exactly once;
- every image was tagged;
- every expected webhook (an image gaining a subscribed tag) arrived at least once;
- no row without a blob and no blob without a row (StoreSvc's database against its blob folder);
- no process left a core or a crash line, and the supervisor restarted exactly the services killed;
- while services were down, answers said "try again" (429, 503, 504) or the connection dropped: no
  401 for a good token, no 500.

It prints throughput, p50/p99 per route and errors by kind; the exit status is 1 when a check fails.
Standard library only. CLEARSKY_BIN_DIR names the binaries (default .build/debug); SOAK_UPLOADERS,
SOAK_READERS, SOAK_UPLOAD_PAUSE (seconds between one uploader's uploads, default 2) and SOAK_KILL_EVERY
(seconds) change the load and the chaos."""

import collections
import glob
import hashlib
import http.client
import http.server
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CLEARSKY_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Support"))
from cluster import Cluster  # noqa: E402

SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
UPLOADERS = int(os.environ.get("SOAK_UPLOADERS", "16"))
READERS = int(os.environ.get("SOAK_READERS", "64"))
JOBBERS = 2
PAUSE = float(os.environ.get("SOAK_UPLOAD_PAUSE", "2"))
USERS = 8
SERVICES = ["AuthSvc", "StoreSvc", "ProcessSvc", "TagSvc", "Gateway"]
KILL_EVERY = float(os.environ.get("SOAK_KILL_EVERY", str(max(6, SECONDS / (2 * len(SERVICES))))))
PHOTOS = {
    name: open(os.path.join(ROOT, "Sources", "TestImages", "Resources", name), "rb").read()
    for name in ["building.jpg", "fruits.jpg", "scenetext01.jpg", "camera.png"]
}


class Stats:
    """Latencies per route and errors by kind, from every worker thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = collections.defaultdict(list)
        self.errors = collections.Counter()
        self.samples = {}

    def record(self, route, seconds):
        with self.lock:
            self.latencies[route].append(seconds)

    def error(self, route, kind, body=b""):
        with self.lock:
            self.errors[f"{route}: {kind}"] += 1
            self.samples.setdefault(f"{route}: {kind}", body[:200].decode("utf-8", "replace"))


STATS = Stats()


class API:
    """One HTTP connection to the gateway per thread, reopened after a failure."""

    def __init__(self, port):
        self.port = port
        self.connection = None

    def call(self, route, method, path, body=None, token=None, headers=None, content_type="application/json"):
        """(status, headers, body bytes), or None when the gateway could not be reached."""
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            if isinstance(body, dict):
                body = json.dumps(body).encode()
            all_headers["Content-Type"] = content_type
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connection.request(method, path, body=body, headers=all_headers)
            answer = self.connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            STATS.error(route, type(error).__name__)
            return None
        STATS.record(route, time.perf_counter() - started)
        if answer.status >= 400:
            STATS.error(route, str(answer.status), data)
        if answer.getheader("Connection", "").lower() == "close":
            self.close()
        return answer.status, answer, data

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Webhooks(http.server.ThreadingHTTPServer):
    """The subscribers' endpoint: answers the confirmation challenge, records every image it is told of."""

    daemon_threads = True

    def __init__(self):
        self.lock = threading.Lock()
        self.images = collections.Counter()
        super().__init__(("127.0.0.1", 0), WebhookHandler)


class WebhookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        answer = b"{}"
        if body.get("type") == "SubscriptionConfirmation":
            answer = json.dumps({"challenge": body["challenge"]}).encode()
        elif body.get("type") == "image.tagged":
            with self.server.lock:
                self.server.images[body["image"]["id"]] += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *arguments):
        pass


class Campaign:
    def __init__(self, up, webhooks):
        self.up = up
        self.webhooks = webhooks
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.uploads = {}  # image id → (token, sha256)
        self.jobs = {}  # job id → token
        self.kills = collections.Counter()
        self.tokens = []
        self.subscribed = set()

    def setup(self):
        api = API(self.up.port)
        for index in range(USERS):
            self.tokens.append(self.up.user(f"soak{index}"))
        # What the photos are tagged with decides what the subscribers follow.
        tags = set()
        for name, photo in PHOTOS.items():
            status, _, data = api.call("setup", "POST", f"/v1/images?key=setup/{name}", photo, self.tokens[0],
                                       content_type="image/png" if name.endswith("png") else "image/jpeg")
            image = json.loads(data)
            self.uploads[image["id"]] = (self.tokens[0], image["sha256"])
            for _ in range(300):
                status, _, data = api.call("setup", "GET", f"/v1/images/{image['id']}", token=self.tokens[0])
                found = json.loads(data)
                if found["tagging"] != "pending":
                    tags.update(tag["tag"] for tag in found["tags"])
                    break
                time.sleep(0.2)
        self.subscribed = set(sorted(tags)[:20])
        target = f"http://127.0.0.1:{self.webhooks.server_address[1]}/hook"
        for token in self.tokens:
            status, _, data = api.call("setup", "POST", "/v1/subscriptions",
                                       {"tags": sorted(self.subscribed), "channel": "webhook", "target": target}, token)
            if status != 201:
                raise RuntimeError(f"subscribing failed: {status} {data[:300]}")
        api.close()
        print(f"soak: {USERS} users, following {sorted(self.subscribed)}", flush=True)

    def uploader(self, number):
        api = API(self.up.port)
        token = self.tokens[number % USERS]
        names = list(PHOTOS)
        count = 0
        while not self.stop.is_set():
            name = random.choice(names)
            photo = PHOTOS[name]
            count += 1
            key = urllib.parse.quote(f"u{number}/{count}-{name}")
            answer = api.call("POST /v1/images", "POST", f"/v1/images?key={key}", photo, token,
                              content_type="image/png" if name.endswith("png") else "image/jpeg")
            if answer and answer[0] == 201:
                image = json.loads(answer[2])
                with self.lock:
                    self.uploads[image["id"]] = (token, hashlib.sha256(photo).hexdigest())
            elif answer and answer[0] in (429, 503):
                time.sleep(0.2)
            elif answer is None or answer[0] >= 500:
                time.sleep(0.1)
            # Paced, so that detection (one core's work per image) keeps up and the drain stays short.
            self.stop.wait(random.uniform(0.5 * PAUSE, 1.5 * PAUSE))
        api.close()

    def known(self):
        with self.lock:
            return list(self.uploads.items())

    def reader(self, number):
        api = API(self.up.port)
        token = self.tokens[number % USERS]
        while not self.stop.is_set():
            mine = [(image, sha) for image, (owner, sha) in self.known() if owner == token]
            choice = random.random()
            if choice < 0.1:
                api.call("GET /v1/gallery", "GET", "/v1/gallery?limit=24", token=token)
            elif choice < 0.25 or not mine:
                # A page of my images, then one thumbnail through the signed URL the page carries.
                answer = api.call("GET /v1/images (page)", "GET", "/v1/images?limit=24", token=token)
                if answer and answer[0] == 200:
                    items = json.loads(answer[2])["items"]
                    if items:
                        thumbnail = urllib.parse.urlsplit(random.choice(items)["thumbnailUrl"])
                        api.call("GET signed thumbnail URL", "GET", thumbnail.path + "?" + thumbnail.query)
            elif choice < 0.5:
                image, _ = random.choice(mine)
                api.call("GET /v1/images/{id}/thumbnail", "GET", f"/v1/images/{image}/thumbnail", token=token)
            elif choice < 0.8:
                image, sha = random.choice(mine)
                answer = api.call("GET /v1/images/{id}/content (range)", "GET", f"/v1/images/{image}/content",
                                  token=token, headers={"Range": "bytes=0-1023"})
                if answer and answer[0] == 206 and len(answer[2]) != 1024:
                    STATS.error("GET /v1/images/{id}/content (range)", "short range")
            else:
                tag = random.choice(sorted(self.subscribed) or ["person"])
                api.call("GET /v1/images?tags=", "GET", f"/v1/images?tags={urllib.parse.quote(tag)}&limit=20", token=token)
            time.sleep(random.uniform(0, 0.05))
        api.close()

    def jobber(self, number):
        api = API(self.up.port)
        token = self.tokens[number % USERS]
        while not self.stop.is_set():
            mine = [image for image, (owner, _) in self.known() if owner == token]
            if not mine:
                time.sleep(0.2)
                continue
            answer = api.call("POST /v1/jobs", "POST", "/v1/jobs",
                              {"imageId": random.choice(mine), "ops": [{"op": "resize", "width": 96}]}, token)
            if answer and answer[0] == 202:
                with self.lock:
                    self.jobs[json.loads(answer[2])["id"]] = token
            time.sleep(random.uniform(0.2, 0.6))
        api.close()

    def pid(self, service):
        try:
            return int(open(os.path.join(self.up.data, "run", f"{service}.pid")).read().strip())
        except (OSError, ValueError):
            return None

    def chaos(self):
        """Kills each service in turn with SIGKILL and waits for the supervisor to bring it back."""
        turn = 0
        api = API(self.up.port)
        while not self.stop.wait(KILL_EVERY):
            service = SERVICES[turn % len(SERVICES)]
            turn += 1
            pid = self.pid(service)
            if pid is None:
                continue
            os.kill(pid, signal.SIGKILL)
            self.kills[service] += 1
            print(f"soak: {time.strftime('%H:%M:%S')} kill -9 {service} ({pid})", flush=True)
            deadline = time.time() + 60
            while time.time() < deadline and (self.pid(service) in (None, pid)):
                time.sleep(0.1)
            while time.time() < deadline:
                answer = api.call("GET /healthz", "GET", "/healthz")
                if answer and answer[0] == 200:
                    break
                time.sleep(0.2)
        api.close()

    def run(self):
        threads = [threading.Thread(target=self.uploader, args=(n,)) for n in range(UPLOADERS)]
        threads += [threading.Thread(target=self.reader, args=(n,)) for n in range(READERS)]
        threads += [threading.Thread(target=self.jobber, args=(n,)) for n in range(JOBBERS)]
        threads.append(threading.Thread(target=self.chaos))
        started = time.time()
        for thread in threads:
            thread.start()
        time.sleep(SECONDS)
        self.stop.set()
        for thread in threads:
            thread.join()
        return time.time() - started


def eventually(what, condition, seconds, progress=None, cap=None):
    """Waits for `condition` to hold; False when it never did. With `progress` (a count that grows while
    the work drains), the wait goes on for `seconds` past the last growth, up to `cap` in all."""
    started = time.time()
    deadline = started + seconds
    last = progress() if progress else None
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.5)
        if progress:
            now = progress()
            if now > last:
                last = now
                deadline = min(max(deadline, time.time() + seconds), started + (cap or seconds))
    print(f"soak: gave up waiting for {what}", flush=True)
    return False


def check(campaign, drain_seconds):
    """The checks that need the cluster running: what each user can read back."""
    api = API(campaign.up.port)
    failures = []

    def get(path, token, headers=None):
        for _ in range(20):
            answer = api.call("check", "GET", path, token=token, headers=headers)
            if answer and answer[0] < 500:
                return answer
            time.sleep(0.5)
        return answer

    uploads = campaign.known()
    for image, (token, sha) in uploads:
        answer = get(f"/v1/images/{image}/content", token)
        if not answer or answer[0] != 200 or hashlib.sha256(answer[2]).hexdigest() != sha:
            failures.append(f"acknowledged upload {image} is not readable with its SHA-256 ({answer and answer[0]})")

    def all_final():
        for job, token in list(campaign.jobs.items()):
            answer = get(f"/v1/jobs/{job}", token)
            if not answer or answer[0] != 200 or json.loads(answer[2])["status"] not in ("completed", "error"):
                return False
        return True
    eventually("every job to finish", all_final, drain_seconds)
    finals = collections.Counter()
    for job, token in campaign.jobs.items():
        answer = get(f"/v1/jobs/{job}", token)
        record = json.loads(answer[2]) if answer and answer[0] == 200 else {}
        finals[record.get("status", "missing")] += 1
        if record.get("status") not in ("completed", "error"):
            failures.append(f"accepted job {job} is {record.get('status', 'missing')}, not final")
        elif record["status"] == "completed":
            result = get(f"/v1/images/{record['resultImageId']}/content", token)
            if not result or result[0] != 200:
                failures.append(f"job {job}'s result {record['resultImageId']} is not readable")

    tagged = {}

    def all_tagged():
        done = True
        for image, (token, _) in uploads:
            if image in tagged:
                continue
            answer = get(f"/v1/images/{image}", token)
            if answer and answer[0] == 200:
                record = json.loads(answer[2])
                if record["tagging"] == "pending":
                    done = False
                    continue
                tagged[image] = record
        return done
    # Detection is the slowest stage: under the campaign's load the uploads outpace it, so the backlog
    # left when the load stops drains here, for as long as it keeps draining (up to 15 minutes).
    backlog_started = time.time()
    all_tagged()
    backlog = len(uploads) - len(tagged)
    eventually("every image to be tagged", all_tagged, drain_seconds, progress=lambda: len(tagged), cap=900)
    drained = time.time() - backlog_started
    print(f"soak: tagging backlog when the load stopped: {backlog} of {len(uploads)} uploads; "
          f"{len(uploads) - len(tagged)} left after {drained:.0f} s", flush=True)
    for image, _ in uploads:
        record = tagged.get(image)
        if record is None or record["tagging"] != "done":
            failures.append(f"image {image} was not tagged ({record and record['tagging']})")
    expected = {image for image, record in tagged.items() if {t["tag"] for t in record["tags"]} & campaign.subscribed}
    # Setup's photos were tagged before anyone subscribed.
    expected -= {image for image, record in tagged.items() if record["key"].startswith("setup/")}

    def all_hooked():
        with campaign.webhooks.lock:
            return expected <= set(campaign.webhooks.images)
    eventually("every expected webhook", all_hooked, drain_seconds)
    with campaign.webhooks.lock:
        missing = expected - set(campaign.webhooks.images)
        repeated = sum(1 for count in campaign.webhooks.images.values() if count > 1)
    for image in sorted(missing):
        failures.append(f"no webhook arrived for image {image}")
    api.close()
    return failures, {"uploads": len(uploads), "jobs": dict(finals), "webhooks expected": len(expected),
                      "webhooks repeated": repeated}


def check_storage(data):
    """Rows against blobs, with the cluster stopped: each row's blob on disk, each blob with its row."""
    failures = []
    database = sqlite3.connect(f"file:{os.path.join(data, 'store', 'images.sqlite')}?mode=ro", uri=True)
    rows = set(database.execute("SELECT owner, sha256 FROM image UNION SELECT owner, sha256 FROM derivative"))
    results = collections.Counter(
        key.split("/")[1] for (key,) in database.execute("SELECT key FROM image WHERE key LIKE 'jobs/%'"))
    database.close()
    blobs = set()
    for path in glob.glob(os.path.join(data, "store", "blobs", "*", "*", "*")):
        parts = path.split(os.sep)
        blobs.add((parts[-3], parts[-1]))
    for owner, sha in sorted(rows - blobs):
        failures.append(f"row without a blob: {owner}/{sha}")
    for owner, sha in sorted(blobs - rows):
        failures.append(f"blob without a row: {owner}/{sha}")
    for job, count in results.items():
        if count != 1:
            failures.append(f"job {job} stored {count} results")
    return failures, {"rows": len(rows), "blobs": len(blobs)}


def report(elapsed, campaign, figures):
    print(f"\nsoak: {elapsed:.0f} s, {UPLOADERS} uploaders, {READERS} readers, {JOBBERS} job submitters, "
          f"kills {dict(campaign.kills)}")
    total = sum(len(samples) for samples in STATS.latencies.values())
    print(f"throughput: {total / elapsed:.0f} requests/s answered, "
          f"{len(campaign.uploads) / elapsed:.1f} acknowledged uploads/s, {len(campaign.jobs) / elapsed:.1f} jobs/s")
    print("\n| route | requests | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for route, samples in sorted(STATS.latencies.items()):
        if route in ("check", "setup"):
            continue
        samples.sort()
        print(f"| {route} | {len(samples)} | {samples[len(samples) // 2] * 1000:.1f} | "
              f"{samples[min(len(samples) - 1, len(samples) * 99 // 100)] * 1000:.1f} |")
    print("\nerrors by kind (during the faults, expected):")
    for kind, count in STATS.errors.most_common():
        if not kind.startswith(("check", "setup")):
            print(f"  {count:6d}  {kind}  {STATS.samples.get(kind, '')}")
    print("\n" + ", ".join(f"{key}: {value}" for key, value in figures.items()))


def main():
    data = tempfile.mkdtemp(prefix="clearsky-soak-")
    webhooks = Webhooks()
    threading.Thread(target=webhooks.serve_forever, daemon=True).start()
    up = Cluster(BIN, data, environment={"CLEARSKY_WEBHOOK_ALLOW": "127.0.0.0/8"})
    campaign = Campaign(up, webhooks)
    failures = []
    figures = {}
    stopped = False
    try:
        campaign.setup()
        elapsed = campaign.run()
        found, figures = check(campaign, drain_seconds=max(60, SECONDS // 2))
        failures += found
        restarts = json.load(open(os.path.join(data, "run", "restarts.json")))
        for service in SERVICES:
            key = {"AuthSvc": "auth", "StoreSvc": "store", "ProcessSvc": "process", "TagSvc": "tag",
                   "Gateway": "gateway"}[service]
            if restarts.get(key, 0) != campaign.kills[service]:
                failures.append(f"{service} restarted {restarts.get(key, 0)} times; it was killed "
                                f"{campaign.kills[service]} times")
        up.stop()
        stopped = True
        found, storage = check_storage(data)
        failures += found
        figures.update(storage)
        log = "".join(up.log)
        for marker in ("Fatal error", "Segmentation fault", "Illegal instruction", "core dumped"):
            if marker in log:
                failures.append(f"the cluster's output has '{marker}'")
        # During the faults an answer may say "try again" (503, 504, 429) or the connection may drop;
        # anything else (401 for a good token, 500) is the cluster blaming the caller or failing inside.
        for kind, count in STATS.errors.items():
            status = kind.rsplit(": ", 1)[1]
            if status.isdigit() and status not in ("429", "503", "504") and not kind.startswith(("check", "setup")):
                failures.append(f"{count} answers {kind}: {STATS.samples.get(kind, '')}")
        cores = glob.glob(os.path.join(data, "**", "core*"), recursive=True) + glob.glob(os.path.join(ROOT, "core*"))
        failures += [f"core file {path}" for path in cores]
        report(elapsed, campaign, figures)
    finally:
        if not stopped:
            up.stop()
        webhooks.shutdown()
    if failures:
        print(f"\nsoak: {len(failures)} checks failed:", file=sys.stderr)
        for failure in failures[:50]:
            print("  " + failure, file=sys.stderr)
        print("the cluster's last lines:\n" + "".join(list(up.log)[-80:]), file=sys.stderr)
        print(f"data folder kept: {data}", file=sys.stderr)
        sys.exit(1)
    shutil.rmtree(data, ignore_errors=True)
    print("soak: every check passed")


if __name__ == "__main__":
    main()
