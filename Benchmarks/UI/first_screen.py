#!/usr/bin/env python3
"""What the first signed-in screen costs: a user with N images (default 1,000) opens the gallery in
headless Chromium on a fresh `clearsky up` (release binaries). Prints the bytes transferred by kind
(app shell, code and styles, API JSON, thumbnails) and the time from navigation until every thumbnail
in the first screenful has loaded, cold (empty cache) and warm (a reload).

    swift build -c release && python3 Benchmarks/UI/first_screen.py [--images 1000]
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Browser"))
from ui_journeys import free_ports  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def request(method, url, body=None, token=None, content_type="application/json"):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = {"Content-Type": content_type} if data is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers)) as response:
        text = response.read()
        return json.loads(text) if text else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release"))
    arguments = parser.parse_args()
    data = tempfile.mkdtemp(prefix="clearsky-uibench-")
    base, port = free_ports()
    up = subprocess.Popen(
        [os.path.join(arguments.bin, "clearsky"), "up", "--data-dir", data, "--port", str(port), "--base-port", str(base),
         "--log-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, CLEARSKY_PASSWORD_ITERATIONS="1000"))
    for line in up.stdout:
        if "Clearsky is up" in line:
            break
    # Keep reading what the cluster logs: a full pipe would stop every service that writes to it.
    threading.Thread(target=lambda: [None for _ in up.stdout], daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    try:
        user = {"username": "bench", "email": "bench@example.com", "password": "Corr3ct-horse"}
        request("POST", url + "/v1/auth/signup", user)
        mail = "".join(open(path).read() for path in glob.glob(os.path.join(data, "mail", "outbox", "*.eml")))
        request("POST", url + "/v1/auth/confirm", {"username": "bench", "code": re.search(r"code (\d{6})", mail).group(1)})
        token = request("POST", url + "/v1/auth/login", user)["accessToken"]
        photos = [open(os.path.join(ROOT, "Sources", "TestImages", "Resources", name), "rb").read()
                  for name in ("building.jpg", "fruits.jpg", "scenetext01.jpg")]
        started = time.time()
        for index in range(arguments.images):
            request("POST", f"{url}/v1/images?key=bench/{index}.jpg", photos[index % 3], token, "image/jpeg")
        print(f"uploaded {arguments.images} images in {time.time() - started:.1f} s")
        # Let thumbnails be made, as they would be for a library that has been there a while.
        deadline = time.time() + 600
        while time.time() < deadline:
            page = request("GET", f"{url}/v1/images?limit=200", token=token)
            if all(item["tagging"] != "pending" for item in page["items"]):
                break
            time.sleep(2)

        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
            options.add_argument(flag)
        browser = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        try:
            browser.get(url + "/signin")
            wait = WebDriverWait(browser, 60)
            wait.until(lambda b: b.find_elements(By.NAME, "username"))
            browser.find_element(By.NAME, "username").send_keys("bench")
            browser.find_element(By.NAME, "password").send_keys("Corr3ct-horse")
            browser.find_element(By.XPATH, "//button[normalize-space(.)='Sign in']").click()
            wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".tile img"))
            for label in ("cold", "warm"):
                if label == "cold":
                    browser.execute_cdp_cmd("Network.clearBrowserCache", {})
                browser.execute_script("performance.clearResourceTimings()")
                browser.get(url + "/gallery")
                WebDriverWait(browser, 60, poll_frequency=0.05).until(lambda b: b.execute_script("""
                    const visible = [...document.querySelectorAll('.tile img')].filter(i => i.getBoundingClientRect().top < innerHeight);
                    return visible.length > 0 && visible.every(i => i.complete && i.naturalWidth > 0);"""))
                figures = browser.execute_script("""
                    // When the last thumbnail in view arrived (the resource timing of each one's URL).
                    const inView = [...document.querySelectorAll('.tile img')].filter(i => i.getBoundingClientRect().top < innerHeight);
                    const arrived = inView.map(i => performance.getEntriesByName(i.currentSrc).map(e => e.responseEnd)).flat();
                    const now = arrived.length ? Math.max(...arrived) : performance.now();
                    const kinds = {shell: 0, code: 0, json: 0, thumbnails: 0, other: 0};
                    const nav = performance.getEntriesByType('navigation')[0];
                    kinds.shell += nav.transferSize;
                    for (const r of performance.getEntriesByType('resource')) {
                      const u = new URL(r.name);
                      const kind = u.pathname.startsWith('/assets/') ? 'code' : u.pathname.endsWith('/thumbnail') ? 'thumbnails'
                        : u.pathname.startsWith('/v1/') ? 'json' : 'other';
                      kinds[kind] += r.transferSize;
                    }
                    const visible = [...document.querySelectorAll('.tile img')].filter(i => i.getBoundingClientRect().top < innerHeight).length;
                    return {kinds, ms: now, visible, tiles: document.querySelectorAll('.tile').length};""")
                kinds = figures["kinds"]
                total = sum(kinds.values())
                print(f"{label}: first grid ({figures['visible']} thumbnails in view, {figures['tiles']} tiles) after "
                      f"{figures['ms']:.0f} ms; transferred {total / 1024:.1f} KiB = shell {kinds['shell'] / 1024:.1f} + "
                      f"code and styles {kinds['code'] / 1024:.1f} + API JSON {kinds['json'] / 1024:.1f} + thumbnails "
                      f"{kinds['thumbnails'] / 1024:.1f} (+ other {kinds['other'] / 1024:.1f}) KiB")
        finally:
            browser.quit()
    finally:
        up.terminate()
        up.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
