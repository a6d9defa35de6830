#!/usr/bin/env python3
"""The web UI in real Chromium (headless, through chromedriver and Selenium) against a real
`clearsky up` on free ports with its own data folder: sign-up with the mailed code, sign-in,
uploads with progress (and a refused one with its reason), thumbnails that load, tags after detection,
the public gallery and opening by key, an image page, a dehaze job to completed with its result
downloaded from its row and by job ID, bulk tagging, processing, recognition, tag search and similar
search, a subscription made and removed, hostile file names shown as text, sign-out, a forgotten
password reset by mailed code, and the account deleted. Any browser
console error fails the run. Screenshots go to $SCREENSHOTS (default: a temporary folder, kept on
failure); with UPDATE_SCREENSHOTS=1 the README's pictures in docs/screenshots/ are rewritten.

Run by `make test` after the Swift tests; needs chromium, chromium-driver and python3-selenium
(scripts/setup.sh installs them)."""

import glob
import os
import re
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from cluster import Cluster  # noqa: E402

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CLEARSKY_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
PHOTOS = os.path.join(ROOT, "Sources", "TestImages", "Resources")
HOSTILE = "<img src=x onerror=alert(1)>"


class Journey:
    def __init__(self):
        self.data = tempfile.mkdtemp(prefix="clearsky-ui-")
        self.shots = os.environ.get("SCREENSHOTS") or tempfile.mkdtemp(prefix="clearsky-ui-shots-")
        self.update = os.environ.get("UPDATE_SCREENSHOTS") == "1"
        self.up = Cluster(BIN, self.data)
        self.url = self.up.url
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                     "--disable-gpu", "--lang=en-US"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium:
            options.binary_location = chromium
        driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
        self.browser = webdriver.Chrome(service=Service(driver_path), options=options)
        self.wait = WebDriverWait(self.browser, 60)
        self.console = []

    # Finding things the way a screen reader names them.
    def field(self, label):
        return self.wait.until(EC.presence_of_element_located(
            (By.XPATH, f"//label[contains(normalize-space(.), '{label}')]//*[self::input or self::select]")))

    def button(self, name):
        return self.wait.until(EC.element_to_be_clickable((By.XPATH, f"//button[normalize-space(.)='{name}']")))

    def link(self, name):
        return self.wait.until(EC.element_to_be_clickable((By.XPATH, f"//a[normalize-space(.)='{name}']")))

    def texts(self, selector):
        """The text of every element `selector` finds, read in one go (the page may redraw meanwhile)."""
        return " ".join(self.browser.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", selector))

    def heading(self, text):
        self.wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), text))

    def shot(self, name):
        self.browser.save_screenshot(os.path.join(self.shots, f"{name}.png"))
        if self.update:
            os.makedirs(os.path.join(ROOT, "docs", "screenshots"), exist_ok=True)
            self.browser.save_screenshot(os.path.join(ROOT, "docs", "screenshots", f"{name}.png"))

    # The failed requests the journey provokes on purpose (wrong passwords, a file that is no image),
    # which Chromium logs.
    EXPECTED = (re.compile(r"/v1/auth/login - Failed to load resource: .* 401"),
                re.compile(r"/v1/images - Failed to load resource: .* 415"))

    def collect_console(self):
        for entry in self.browser.get_log("browser"):
            if entry["level"] == "SEVERE" and not any(p.search(entry["message"]) for p in self.EXPECTED):
                self.console.append(entry["message"])

    def downloaded(self, name):
        path = os.path.join(self.downloads, name)
        WebDriverWait(self.browser, 30).until(lambda _: os.path.exists(path) and os.path.getsize(path) > 1000)
        with open(path, "rb") as result:
            assert result.read(3) == b"\xff\xd8\xff", f"{name} is not a JPEG"

    def mailed_code(self, address):
        deadline = time.time() + 20
        while time.time() < deadline:
            for path in sorted(glob.glob(os.path.join(self.data, "mail", "outbox", "*.eml")), reverse=True):
                text = open(path, encoding="utf-8", errors="replace").read()
                if f"To: {address}" in text:
                    found = re.search(r"code (\d{6})", text)
                    if found:
                        return found.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no code mailed to {address}")

    def run(self):
        b = self.browser
        b.get(self.url + "/")
        self.heading("Sign in")
        self.shot("signin")
        self.link("Create an account").click()
        self.heading("Create your account")
        self.field("Username").send_keys("uma")
        self.field("Email").send_keys("uma@example.com")
        self.field("Password").send_keys("weak")
        self.button("Create account").click()
        # The browser's own check, or the API's words, say why; nothing is created.
        self.field("Password").clear()
        self.field("Password").send_keys("Corr3ct-horse")
        self.button("Create account").click()
        self.heading("Confirm your account")
        self.field("Confirmation code").send_keys(self.mailed_code("uma@example.com"))
        self.button("Confirm").click()
        self.heading("Sign in")
        self.field("Username or email").send_keys("uma")
        self.field("Password").send_keys("Wr0ng-horse!")
        self.button("Sign in").click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.error"), "Incorrect"))
        self.field("Password").clear()
        self.field("Password").send_keys("Corr3ct-horse")
        self.button("Sign in").click()
        self.heading("Gallery")
        self.wait.until(EC.text_to_be_present_in_element((By.ID, "view"), "No images yet"))

        # Upload three photos, one with a hostile name, with a progress bar each.
        folder = tempfile.mkdtemp(prefix="clearsky-ui-files-")
        hostile = os.path.join(folder, f"{HOSTILE}.jpg")
        shutil.copy(os.path.join(PHOTOS, "building.jpg"), hostile)
        street = os.path.join(folder, "street.jpg")
        shutil.copy(os.path.join(PHOTOS, "scenetext01.jpg"), street)
        fruits = os.path.join(folder, "fruits.jpg")
        shutil.copy(os.path.join(PHOTOS, "fruits.jpg"), fruits)
        self.link("Upload").click()
        self.heading("Upload images")
        self.field("Images").send_keys("\n".join([hostile, street, fruits]))
        self.button("Upload").click()
        self.wait.until(lambda _: b.find_elements(By.CSS_SELECTOR, "ul.uploads progress")
                        or b.find_elements(By.XPATH, "//ul[@class='uploads']//a"))
        self.wait.until(lambda _: len(b.find_elements(By.XPATH, "//ul[@class='uploads']//a[normalize-space(.)='open']")) == 3)
        self.shot("upload")
        # One more under a key and public; and a file that is no image, refused with the reason.
        self.field("Images").send_keys(fruits)
        self.field("Key").send_keys("shared/fruit.jpg")
        b.find_element(By.XPATH, "//label[contains(., 'Public')]/input").click()
        self.button("Upload").click()
        self.wait.until(lambda _: len(b.find_elements(By.XPATH, "//ul[@class='uploads']//a[normalize-space(.)='open']")) == 4)
        notes = os.path.join(folder, "notes.jpg")
        with open(notes, "w") as text:
            text.write("not a picture at all\n")
        self.field("Images").send_keys(notes)
        self.button("Upload").click()
        self.wait.until(EC.presence_of_element_located(
            (By.XPATH, "//ul[@class='uploads']/li[contains(., 'notes.jpg')]//span[@class='error']")))
        refusal = self.texts("ul.uploads li:last-child .error")
        assert "image" in refusal.lower() and "Code" not in refusal, refusal
        self.downloads = tempfile.mkdtemp(prefix="clearsky-ui-downloads-")
        b.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.downloads})

        # The gallery: three thumbnails that load, the hostile name as text, tags after detection.
        self.link("Gallery").click()
        self.heading("Gallery")
        self.wait.until(lambda _: len(b.find_elements(By.CSS_SELECTOR, ".tile img")) == 4)
        self.wait.until(lambda _: all(b.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
                                      for image in b.find_elements(By.CSS_SELECTOR, ".tile img")))
        alts = [image.get_attribute("alt") for image in b.find_elements(By.CSS_SELECTOR, ".tile img")]
        assert f"{HOSTILE}.jpg" in alts, alts
        assert not b.find_elements(By.CSS_SELECTOR, "img[src='x']"), "the hostile name became markup"
        # Tags appear by themselves when detection is done (pushed by the event stream, no reload).
        WebDriverWait(b, 120).until(lambda _: "person" in self.texts(".tile figcaption"))
        self.shot("gallery")
        # The public one is in the public gallery; the Key box opens it by its key.
        self.link("Public gallery").click()
        self.heading("Public gallery")
        self.wait.until(lambda _: [i.get_attribute("alt") for i in b.find_elements(By.CSS_SELECTOR, ".tile img")]
                        == ["shared/fruit.jpg"])
        self.link("Gallery").click()
        self.heading("Gallery")
        self.wait.until(lambda _: len(b.find_elements(By.CSS_SELECTOR, ".tile img")) == 4)
        key = b.find_element(By.CSS_SELECTOR, "input[aria-label='Key']")
        key.send_keys("shared/fruit.jpg\n")
        self.wait.until(lambda _: self.texts("h1") == "shared/fruit.jpg")
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "dl.facts"), "public"))
        self.link("Gallery").click()
        self.heading("Gallery")
        self.wait.until(lambda _: len(b.find_elements(By.CSS_SELECTOR, ".tile input.pick")) == 4)

        # Bulk tagging: select two, add a tag.
        # (Once every tile has its tags, so none is redrawn under the pointer.)
        WebDriverWait(b, 120).until(lambda _: b.execute_script(
            "return [...document.querySelectorAll('.tile figcaption')].every(c => c.textContent !== '')"))
        for index in (0, 1):
            b.find_elements(By.CSS_SELECTOR, ".tile input.pick")[index].click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".bulk"), "2 selected"))
        b.find_element(By.CSS_SELECTOR, ".bulk input[aria-label='Tag']").send_keys("holiday")
        self.button("Add tag").click()
        self.wait.until(lambda _: "holiday" in self.texts(".tile figcaption"))

        # The image page of the hostile one: its name as the heading's text, facts, share.
        self.wait.until(EC.element_to_be_clickable((By.XPATH, f"//img[@alt={repr(HOSTILE + '.jpg')}]/ancestor::a"))).click()
        self.wait.until(lambda _: self.texts("h1") == f"{HOSTILE}.jpg")
        assert not b.find_elements(By.CSS_SELECTOR, "img[src='x']")
        self.wait.until(lambda _: b.execute_script("return document.querySelector('.viewer img').naturalWidth > 0"))
        self.button("Share").click()
        self.wait.until(EC.presence_of_element_located((By.XPATH, "//a[normalize-space(.)='Share link']")))
        # Detections drawn over the picture, on demand.
        self.button("Show detections").click()
        WebDriverWait(b, 60).until(lambda _: b.find_elements(By.CSS_SELECTOR, ".stage svg rect"))
        self.shot("image")
        # By keyboard: → moves to the next image of the gallery, Esc goes back to it.
        first = self.texts("h1")
        b.find_element(By.TAG_NAME, "body").send_keys("\ue014")  # ArrowRight
        time.sleep(1)
        if self.texts("h1") == first:  # the last image: ← goes to the one before
            b.find_element(By.TAG_NAME, "body").send_keys("\ue012")  # ArrowLeft
        self.wait.until(lambda _: self.texts("h1") not in ("", first))
        b.find_element(By.TAG_NAME, "body").send_keys("\ue00c")  # Escape
        self.heading("Gallery")

        # A dehaze job reaches completed and its result opens.
        self.link("Jobs").click()
        self.heading("Dehaze jobs")
        b.find_element(By.CSS_SELECTOR, "input[aria-label='Image']").send_keys(hostile)
        self.button("Dehaze").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "span.chip")))
        WebDriverWait(b, 120).until(lambda _: b.find_elements(By.CSS_SELECTOR, "span.chip.completed"))
        assert HOSTILE in self.texts("tbody") and not b.find_elements(By.CSS_SELECTOR, "img[src='x']")
        self.wait.until(lambda _: b.execute_script("""
            const pair = [...document.querySelectorAll('tbody .pair img')];
            return pair.length === 2 && pair.every(i => i.complete && i.naturalWidth > 0);"""))
        self.shot("jobs")
        job = self.texts("tbody code")
        # Its result downloads from the row, and again by its Job ID, as the desktop client did.
        self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"button[aria-label='Download result of {job}']"))).click()
        self.downloaded(f"{job}-result.jpg")
        os.remove(os.path.join(self.downloads, f"{job}-result.jpg"))
        b.find_element(By.CSS_SELECTOR, "input[aria-label='Job ID']").send_keys(job)
        self.button("Download result").click()
        self.downloaded(f"{job}-result.jpg")
        self.link("Result").click()
        self.wait.until(lambda _: b.execute_script("return (document.querySelector('.viewer img')||{}).naturalWidth > 0"))
        self.link("Jobs").click()
        self.heading("Dehaze jobs")
        self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"button[aria-label='Delete job {job}']"))).click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "tbody"), "No jobs yet"))

        # Processing: one of my images, a resize and a gray conversion, the result beside it, saved.
        from selenium.webdriver.support.ui import Select
        self.link("Process").click()
        self.heading("Process an image")
        Select(self.field("Image")).select_by_index(1)
        Select(b.find_element(By.CSS_SELECTOR, "select[aria-label='Operation']")).select_by_visible_text("resize")
        self.button("Add operation").click()
        b.find_element(By.CSS_SELECTOR, "fieldset[data-op='resize'] input[name='width']").send_keys("120")
        Select(b.find_element(By.CSS_SELECTOR, "select[aria-label='Operation']")).select_by_visible_text("color")
        self.button("Add operation").click()
        self.button("Preview").click()
        WebDriverWait(b, 60).until(lambda _: b.execute_script(
            "const r = document.querySelector('img[alt=Result]'); return r && r.complete && r.naturalWidth === 120"))
        self.field("Key").send_keys("processed/small.jpg")
        self.button("Save to gallery").click()
        self.wait.until(EC.text_to_be_present_in_element((By.ID, "toast"), "Saved"))
        self.shot("process")

        # Recognition: boxes over the picture and a table of labels.
        self.link("Recognize").click()
        self.heading("Recognize objects")
        Select(self.field("Image")).select_by_visible_text("street.jpg")
        self.button("Recognize").click()
        WebDriverWait(b, 60).until(lambda _: b.find_elements(By.CSS_SELECTOR, "svg[aria-label='Detections'] rect"))
        assert "person" in self.texts("tbody")
        self.shot("recognize")

        # Tags and subscriptions.
        self.link("Tags").click()
        self.heading("Tags")
        self.wait.until(EC.presence_of_element_located((By.XPATH, "//ul[@aria-label='My tags']//a[contains(., 'holiday')]")))
        box = b.find_element(By.CSS_SELECTOR, "input[aria-label='Tags']")
        box.send_keys("holiday")
        self.button("Search").click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p[role='status']"), "2 image(s)"))
        # A tag of mine opens its search; Find similar shows what it detected and the matches.
        b.find_element(By.XPATH, "//ul[@aria-label='My tags']//a[starts-with(., 'person')]").click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p[role='status']"), "tagged person"))
        b.find_element(By.CSS_SELECTOR, "input[aria-label='Image to match']").send_keys(street)
        self.button("Find similar").click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p[role='status']"), "Detected: "))
        assert "person" in self.texts("p[role='status']")
        self.wait.until(lambda _: any(i.get_attribute("alt") == "street.jpg" for i in b.find_elements(By.CSS_SELECTOR, ".grid img")))
        self.link("Subscriptions").click()
        self.heading("Subscriptions")
        self.field("Tags").send_keys("car, dog")
        self.button("Subscribe").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "span.chip.active")))
        self.shot("subscriptions")
        self.button("Unsubscribe").click()
        self.wait.until(lambda _: not b.find_elements(By.CSS_SELECTOR, "span.chip.active"))

        # The account page, at phone width too; then sign out.
        self.link("Account").click()
        self.heading("Account")
        self.wait.until(EC.text_to_be_present_in_element((By.ID, "view"), "uma@example.com"))
        b.set_window_size(390, 844)
        self.link("Gallery").click()
        self.heading("Gallery")
        self.shot("gallery-phone")
        b.set_window_size(1280, 900)
        self.button("Sign out").click()
        self.heading("Sign in")

        # Forgot password: a mailed code sets a new one; then the account is deleted, after asking.
        self.link("Forgot password").click()
        self.heading("Forgot password")
        before = len(glob.glob(os.path.join(self.data, "mail", "outbox", "*.eml")))
        self.field("Username").send_keys("uma")
        self.button("Send code").click()
        self.heading("Set a new password")
        self.wait.until(lambda _: len(glob.glob(os.path.join(self.data, "mail", "outbox", "*.eml"))) > before)
        self.field("Code").send_keys(self.mailed_code("uma@example.com"))
        self.field("New password").send_keys("N3w-horse-battery")
        self.button("Set password").click()
        self.heading("Sign in")
        self.field("Username or email").send_keys("uma@example.com")
        self.field("Password").send_keys("N3w-horse-battery")
        self.button("Sign in").click()
        self.heading("Gallery")
        self.link("Account").click()
        self.heading("Account")
        self.field("Password").send_keys("N3w-horse-battery")
        self.button("Delete account").click()
        self.wait.until(EC.alert_is_present()).accept()
        self.heading("Sign in")
        self.field("Username or email").send_keys("uma")
        self.field("Password").send_keys("N3w-horse-battery")
        self.button("Sign in").click()
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.error"), "Incorrect"))
        self.collect_console()
        assert not self.console, "browser console errors:\n" + "\n".join(self.console)

    def close(self, failed):
        try:
            self.collect_console()
        except Exception:
            pass
        try:
            self.browser.quit()
        finally:
            self.up.stop()
            shutil.rmtree(self.data, ignore_errors=True)
            if not failed and not os.environ.get("SCREENSHOTS"):
                shutil.rmtree(self.shots, ignore_errors=True)


def main():
    journey = Journey()
    failed = False
    try:
        journey.run()
        print("ui: every journey passed in Chromium")
    except Exception:
        failed = True
        try:
            journey.shot("failure")
        except Exception:
            pass
        traceback.print_exc()
        print(f"ui: failed; screenshots in {journey.shots}; console: {journey.console}", file=sys.stderr)
        print("ui: the cluster's last log lines:\n" + "".join(journey.up.log), file=sys.stderr)
    finally:
        journey.close(failed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
