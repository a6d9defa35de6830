"""A real `clearsky up` for the Python suites (browser, API document, UI benchmark): free ports, its
own data folder, and its output read all along (a full pipe would stall every service writing to it)."""

import collections
import glob
import json
import os
import random
import re
import socket
import subprocess
import threading
import time
import urllib.request


def free_ports():
    """A base port with base+1 … base+6 free: four services, the gateway's Wire port, its HTTP port."""
    def free(port):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return True
            except OSError:
                return False
    # Below Linux's ephemeral range, where an outgoing connection could take a port checked free.
    for _ in range(200):
        base = random.randint(1_100, 3_200) * 10
        if all(free(base + offset) for offset in range(1, 7)):
            return base, base + 6
    raise RuntimeError("no free ports")


def request(method, url, body=None, token=None, content_type="application/json"):
    """One REST call: a dict goes as JSON, bytes as `content_type`; the answer's JSON, or None."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"Content-Type": content_type} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers)) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def sign_in(url, data, name):
    """Signs `name` up at the gateway `url`, confirms it with the code mailed to `data`'s outbox and signs
    in: its access token."""
    user = {"username": name, "email": f"{name}@example.com", "password": "Corr3ct-horse"}
    request("POST", url + "/v1/auth/signup", user)
    mails = [open(path).read() for path in glob.glob(os.path.join(data, "mail", "outbox", "*.eml"))]
    mail = "".join(text for text in mails if f"To: {name}@example.com" in text)
    request("POST", url + "/v1/auth/confirm", {"username": name, "code": re.search(r"code (\d{6})", mail)[1]})
    return request("POST", url + "/v1/auth/login", user)["accessToken"]


class Cluster:
    """`clearsky up` from `binaries` on `data`; `url` once it is up, `log` its last lines."""

    def __init__(self, binaries, data, environment=None, timeout=120):
        self.data = data
        base, self.port = free_ports()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = collections.deque(maxlen=400)
        self.process = subprocess.Popen(
            [os.path.join(binaries, "clearsky"), "up", "--data-dir", data, "--port", str(self.port),
             "--base-port", str(base), "--log-level", "warning"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, CLEARSKY_PASSWORD_ITERATIONS="1000", **(environment or {})))
        deadline = time.time() + timeout
        for line in self.process.stdout:
            self.log.append(line)
            if "Clearsky is up" in line:
                break
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("clearsky up did not come up:\n" + "".join(self.log))
        else:
            raise RuntimeError("clearsky up exited:\n" + "".join(self.log))
        threading.Thread(target=lambda: self.log.extend(self.process.stdout), daemon=True).start()

    def user(self, name):
        """Signs `name` up, confirms it with the mailed code and signs in: its access token."""
        return sign_in(self.url, self.data, name)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
