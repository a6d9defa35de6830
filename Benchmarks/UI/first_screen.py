#!/usr/bin/env python3
"""What the first signed-in screen costs: a user with N images (default 1,000) opens the gallery in
headless Chromium on a fresh `clearsky up` (release binaries). Prints the bytes transferred by kind
(app shell, code and styles, API JSON, thumbnails) and the time from navigation until every thumbnail
in the first screenful has loaded, cold (empty cache) and warm (a reload).

    swift build -c release && python3 Benchmarks/UI/first_screen.py [--images 1000]
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Support"))
from cluster import Cluster, request  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release"))
    arguments = parser.parse_args()
    data = tempfile.mkdtemp(prefix="clearsky-uibench-")
    up = Cluster(arguments.bin, data)
    url = up.url
    try:
        token = up.user("bench")
        photos = [open(os.path.join(ROOT, "Sources", "TestImages", "Resources", name), "rb").read()
                  for name in ("building.jpg", "fruits.jpg", "scenetext01.jpg")]
        started = time.time()
        for index in range(arguments.images):
            request("POST", f"{url}/v1/images?key=bench/{index}.jpg", photos[index % 3], token, "image/jpeg")
        print(f"uploaded {arguments.images} images in {time.time() - started:.1f} s", flush=True)
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
                    return {ms: arrived.length ? Math.max(...arrived) : performance.now(), visible: inView.length,
                            tiles: document.querySelectorAll('.tile').length, inView: inView.map(i => i.currentSrc)};""")
                # Then what the browser fetched while it settled (lazy thumbnails just below the fold too).
                time.sleep(2)
                kinds = browser.execute_script("""
                    const inView = new Set(arguments[0]);
                    const kinds = {shell: 0, code: 0, json: 0, thumbnailsInView: 0, thumbnailsBelow: 0, other: 0, below: 0};
                    kinds.shell += performance.getEntriesByType('navigation')[0].transferSize;
                    for (const r of performance.getEntriesByType('resource')) {
                      const u = new URL(r.name);
                      if (u.pathname.endsWith('/thumbnail')) {
                        if (inView.has(r.name)) kinds.thumbnailsInView += r.transferSize;
                        else { kinds.thumbnailsBelow += r.transferSize; if (r.transferSize > 0) kinds.below += 1; }
                      } else {
                        kinds[u.pathname.startsWith('/assets/') ? 'code' : u.pathname.startsWith('/v1/') ? 'json' : 'other'] += r.transferSize;
                      }
                    }
                    return kinds;""", figures["inView"])
                app = kinds["shell"] + kinds["code"] + kinds["json"] + kinds["other"]
                print(f"{label}: first grid ({figures['visible']} thumbnails in view of {figures['tiles']} tiles) after "
                      f"{figures['ms']:.0f} ms; transferred: app {app / 1024:.1f} KiB (shell {kinds['shell'] / 1024:.1f} + "
                      f"code and styles {kinds['code'] / 1024:.1f} + API JSON {kinds['json'] / 1024:.1f}) + thumbnails in "
                      f"view {kinds['thumbnailsInView'] / 1024:.1f} KiB = first screen "
                      f"{(app + kinds['thumbnailsInView']) / 1024:.1f} KiB; then {kinds['below']} lazy thumbnails below "
                      f"the fold, {kinds['thumbnailsBelow'] / 1024:.1f} KiB", flush=True)
        finally:
            browser.quit()
    finally:
        up.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
