#!/usr/bin/python3
"""Opens the HTML report `bookctl report --html` wrote in Debian's chromium (headless, through
chromium-driver) and checks what a reader sees: the headline figures with their targets, the
three charts drawn (the funnel, bookings per day by outcome, rates against targets), no request
for anything outside the file, nothing cut off on a phone's width, and a print to A4 that keeps
every chart whole. Prints one JSON object with what it found; leaves a screenshot of the page
(desktop and phone) and the printed PDF in --screenshots.
"""
import argparse
import base64
import json
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def browser(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                     "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-default-apps", "--no-default-browser-check", "--renderer-process-limit=2", f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def whole_page(driver, path):
    height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    width = driver.execute_script("return window.innerWidth")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
    driver.save_screenshot(path)


def requests_beyond_the_file(driver, url):
    """Every network request the page made, other than for the file itself."""
    made = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            requested = message["params"]["request"]["url"]
            if requested != url and not requested.startswith("data:"):
                made.append(requested)
    return made


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", required=True, help="the HTML file bookctl wrote")
    parser.add_argument("--screenshots", required=True)
    arguments = parser.parse_args()
    os.makedirs(arguments.screenshots, exist_ok=True)
    url = "file://" + os.path.abspath(arguments.report)
    result = {}

    desktop = browser(1280, 900)
    try:
        desktop.execute_cdp_cmd("Network.enable", {})
        desktop.get(url)
        result["title"] = desktop.title
        result["requests"] = requests_beyond_the_file(desktop, url)
        charts = desktop.find_elements(By.CSS_SELECTOR, "svg")
        result["charts"] = [
            {"title": (chart.find_elements(By.TAG_NAME, "title") or [None])[0].get_attribute("textContent") if chart.find_elements(By.TAG_NAME, "title") else "",
             "width": chart.rect["width"], "height": chart.rect["height"], "shapes": len(chart.find_elements(By.CSS_SELECTOR, "rect, path, polyline, line, circle"))}
            for chart in charts]
        result["headers"] = [cell.text for cell in desktop.find_elements(By.CSS_SELECTOR, "th")][:80]
        result["text"] = desktop.find_element(By.TAG_NAME, "body").text
        result["console_errors"] = [entry["message"] for entry in desktop.get_log("browser") if entry["level"] == "SEVERE"]
        whole_page(desktop, os.path.join(arguments.screenshots, "report-desktop.png"))
        # A4 portrait, as a browser's print dialog gives it.
        pdf = desktop.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True, "preferCSSPageSize": True})
        data = base64.b64decode(pdf["data"])
        with open(os.path.join(arguments.screenshots, "report.pdf"), "wb") as out:
            out.write(data)
        result["pdf_pages"] = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
        # In print, no chart may be split over two pages.
        desktop.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        result["print_charts_unbreakable"] = desktop.execute_script("""
            return Array.from(document.querySelectorAll('svg')).every(svg => {
              let node = svg;
              while (node && node !== document.body) {
                const style = getComputedStyle(node);
                if (style.breakInside === 'avoid' || style.pageBreakInside === 'avoid' || style.breakInside === 'avoid-page') return true;
                node = node.parentElement;
              }
              return false;
            });""")
    finally:
        desktop.quit()

    phone = browser(375, 812)
    try:
        phone.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True})
        phone.get(url)
        # Wider than the screen is allowed only inside a box that scrolls itself (a wide table).
        result["phone_overflow"] = phone.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        whole_page(phone, os.path.join(arguments.screenshots, "report-phone.png"))
    finally:
        phone.quit()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
