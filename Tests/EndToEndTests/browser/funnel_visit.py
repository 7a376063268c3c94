#!/usr/bin/python3
"""Opens webd's booking page in Debian's chromium (headless, through chromium-driver) as a
first-time visitor with JavaScript, from a campaign link. On a first visit the page's script
reloads the page into the browser's zone; the visit (its token is in no cookie) must survive
that reload. Then chooses the first free time. Prints one JSON object: the visit token of each
page and the addresses they were loaded from.
"""
import argparse
import json
import sys
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20
ZONE = "America/New_York"


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                     "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--no-default-browser-check", "--renderer-process-limit=2", "--lang=en",
                     "--window-size=1280,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # Before the first page: the script reads the zone when the page loads.
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ZONE})
    return driver


def query(url):
    return {key: values[0] for key, values in urllib.parse.parse_qs(urllib.parse.urlparse(url).query).items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    url = parser.parse_args().url
    driver = browser()
    try:
        driver.get(url + "/?lang=en&utm_source=newsletter&utm_campaign=december")
        # The script stores the zone and reloads with it in the address.
        WebDriverWait(driver, WAIT).until(lambda d: "tz=" in d.current_url)
        WebDriverWait(driver, WAIT).until(EC.presence_of_element_located((By.ID, "zone-name")))
        reloaded = driver.current_url
        page_visit = driver.find_element(By.CSS_SELECTOR, 'meta[name="visit"]').get_attribute("content")
        carried = query(reloaded)
        assert carried.get("tz") == ZONE, reloaded
        assert carried.get("visit") == page_visit, (reloaded, page_visit)
        assert not any(cookie["name"].startswith("visit") or page_visit in cookie["value"] for cookie in driver.get_cookies()), driver.get_cookies()

        WebDriverWait(driver, WAIT).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "a.slot"))).click()
        form = WebDriverWait(driver, WAIT).until(EC.presence_of_element_located((By.ID, "booking-form")))
        form_visit = form.find_element(By.NAME, "visit").get_attribute("value")
        assert form_visit == page_visit, (form_visit, page_visit)
        print(json.dumps({"reloaded": reloaded, "visit": page_visit, "form": driver.current_url, "form_visit": form_visit}))
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
