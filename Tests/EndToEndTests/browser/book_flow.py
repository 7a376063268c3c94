#!/usr/bin/python3
"""Drives Debian's chromium (headless, through chromium-driver) through webd's booking page
against a running suite, asserting what the page shows; prints one JSON object with what the
Swift test checks against bookingd. Every step leaves a screenshot in --screenshots.

Scenarios: phone (375x812, America/New_York, English: the calendar's month, a day's times
brought into view, localised zone names, the error summary, book, the confirmation), desktop
(1280x900, Asia/Tokyo, Russian, book then reschedule and cancel on the manage page, each
confirmed), race (two browsers, one last slot), noscript (JavaScript off: the server-rendered
forms alone, cancelling confirmed by a second page), embed (the page in a frame of a listed
site on another loopback origin, resized to its content; an unlisted site is refused), country
(375x812 in London: the phone field's country picker, its example, a refused number, then
booking).
"""
import argparse
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20


OPEN = []


def browser(zone, language, width, height, mobile=False, javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-default-apps", "--no-default-browser-check", "--renderer-process-limit=2",
                     f"--lang={language}", f"--window-size={width},{height}"):
        options.add_argument(argument)
    prefs = {"intl.accept_languages": language}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    # The console, where chromium says which frame it refused and why.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    OPEN.append(driver)
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})
    if mobile:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
    return driver


class Flow:
    def __init__(self, url, shots, min_fill):
        self.url = url.rstrip("/")
        self.shots = shots
        self.min_fill = min_fill
        self.result = {}

    def shot(self, driver, name, whole=True):
        os.makedirs(self.shots, exist_ok=True)
        if not whole:
            driver.save_screenshot(os.path.join(self.shots, name + ".png"))
            return
        # The whole page, not just the viewport: resize to the document's height for the shot.
        height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        metrics = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": metrics[0], "height": max(height, metrics[1]), "deviceScaleFactor": 1, "mobile": metrics[0] < 500})
        driver.save_screenshot(os.path.join(self.shots, name + ".png"))
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": metrics[0], "height": metrics[1], "deviceScaleFactor": 1, "mobile": metrics[0] < 500})

    def close(self, name, *drivers):
        """Quits the browsers; after a failure, first keeps what each showed."""
        failed = sys.exc_info()[0] is not None
        for index, driver in enumerate(drivers):
            if failed:
                try:
                    os.makedirs(self.shots, exist_ok=True)
                    driver.save_screenshot(os.path.join(self.shots, f"failed-{name}-{index}.png"))
                    with open(os.path.join(self.shots, f"failed-{name}-{index}.html"), "w") as page:
                        page.write(driver.current_url + "\n" + driver.page_source)
                except Exception:
                    pass
            driver.quit()

    @staticmethod
    def wait(driver, condition):
        return WebDriverWait(driver, WAIT).until(condition)

    def text(self, driver, css):
        return self.wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, css))).text

    def loaded(self, driver, fragment):
        """Waits for a navigation to `fragment` to finish loading."""
        self.wait(driver, lambda d: fragment in d.current_url and d.execute_script("return document.readyState") == "complete")

    def expect_text(self, driver, css, predicate, what):
        """Waits until the element's text satisfies `predicate`; fails naming what it saw."""
        try:
            return self.wait(driver, lambda d: (lambda t: t if predicate(t) else False)(d.find_element(By.CSS_SELECTOR, css).text))
        except Exception:
            seen = driver.find_elements(By.CSS_SELECTOR, css)
            raise AssertionError(f"{what}: {css} shows {seen[0].text if seen else 'nothing'!r} at {driver.current_url}")

    def pick_first_slot(self, driver):
        """Step 1: the page must be in the browser's zone; take the first free slot."""
        slot = self.wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "a.slot")))
        local = slot.find_element(By.CSS_SELECTOR, ".local").text
        start = slot.get_attribute("data-start")
        slot.click()
        self.wait(driver, EC.presence_of_element_located((By.ID, "booking-form")))
        return local, start

    def fill(self, driver, name, email, phone, country=None):
        if name:
            driver.find_element(By.ID, "name").send_keys(name)
        driver.find_element(By.ID, "email").send_keys(email)
        if country:
            driver.find_element(By.CSS_SELECTOR, f"#country option[value='{country}']").click()
        driver.find_element(By.ID, "phone").send_keys(phone)
        driver.find_element(By.ID, "consent").click()

    def submit(self, driver):
        # The minimum time to fill the form in (a person takes longer than the test).
        time.sleep(self.min_fill)
        driver.find_element(By.ID, "book-button").click()

    def in_view(self, driver, element_id):
        return driver.execute_script(
            "var r = document.getElementById(arguments[0]).getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight;", element_id)

    def phone(self):
        """Book at a phone-sized viewport (375x812) in New York, in English."""
        driver = browser("America/New_York", "en-US", 375, 812, mobile=True)
        try:
            driver.get(self.url + "/")
            # The script saw the browser's zone and asked for the page in it.
            self.loaded(driver, "tz=America")
            self.expect_text(driver, "#zone-name", lambda t: t == "America/New_York", "the browser's zone")
            assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 375, f"the page is {width} px wide at 375"
            # The company's name, logo and colour.
            assert self.text(driver, "#company-name") == "Primer LLC"
            assert driver.execute_script("var i = document.getElementById('logo'); return i.complete && i.naturalWidth > 0"), "the logo loads"
            accent = driver.execute_script("return getComputedStyle(document.querySelector('a.day')).borderTopColor")
            assert accent == "rgb(31, 111, 67)", accent
            assert "1027700000000" in self.text(driver, "#legal")
            # The month and year label the grid.
            caption = self.text(driver, "#month-caption")
            assert re.match(r"^(January|February|March|April|May|June|July|August|September|October|November|December) 20\d\d", caption), caption
            # The zones by their names in English, beside the identifiers.
            york = driver.find_element(By.CSS_SELECTOR, "#tz option[value='America/New_York']")
            assert york.get_attribute("data-localised") == "Eastern Time", york.get_attribute("data-localised")
            assert york.text.startswith("Eastern Time — America/New York"), york.text
            moscow = driver.find_element(By.CSS_SELECTOR, "#tz option[value='Europe/Moscow']").get_attribute("data-localised")
            assert moscow and "Moscow" in moscow, moscow
            self.shot(driver, "01-phone-pick-time")
            # Another day: its times come into view (below the grid on a phone).
            days = driver.find_elements(By.CSS_SELECTOR, "a.day:not(.selected)")
            assert days, "a second day with free times"
            days[0].click()
            self.wait(driver, lambda d: "date=" in d.current_url and d.execute_script("return document.readyState") == "complete")
            self.wait(driver, lambda d: self.in_view(d, "slots-heading"))
            self.shot(driver, "13-phone-day-times", whole=False)
            local, start = self.pick_first_slot(driver)
            self.expect_text(driver, "#chosen-time", lambda t: local in t and "America/New_York" in t and "Moscow time" in t, "the chosen time")
            # Sent without a name and with a bad email: the summary first, announced and focused.
            self.fill(driver, "", "jane@", "212 555 0100", country="US")
            self.submit(driver)
            summary = self.wait(driver, EC.presence_of_element_located((By.ID, "error-summary")))
            assert summary.get_attribute("role") == "alert"
            self.wait(driver, lambda d: d.execute_script("return document.activeElement && document.activeElement.id") == "error-summary")
            links = [a.get_attribute("href").split("#")[-1] for a in summary.find_elements(By.CSS_SELECTOR, "a")]
            assert links == ["name", "email"], links
            self.shot(driver, "14-phone-error-summary", whole=False)
            summary.find_element(By.CSS_SELECTOR, "a[href='#name']").click()
            self.wait(driver, lambda d: d.execute_script("return document.activeElement.id") == "name")
            driver.find_element(By.ID, "name").send_keys("Jane Doe")
            email = driver.find_element(By.ID, "email")
            email.clear()
            email.send_keys("jane@example.com")
            assert driver.find_element(By.ID, "consent").is_selected(), "the consent is kept"
            self.shot(driver, "02-phone-details")
            self.submit(driver)
            self.loaded(driver, "done=booked")
            reference = self.text(driver, "#reference")
            shown = self.expect_text(driver, "#booking-time", lambda t: local in t and "America/New_York" in t, "the booked time")
            assert re.match(r"^BK-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}[0-9A-Z*~$=]$", reference), reference
            ics = driver.find_element(By.ID, "ics-link").get_attribute("href")
            calendar = urllib.request.urlopen(ics).read().decode()
            assert "BEGIN:VEVENT" in calendar and reference in calendar, calendar
            manage = driver.find_element(By.ID, "manage-link").get_attribute("href")
            assert manage.endswith("/manage/" + reference), manage
            sent = self.text(driver, "#sent-to")
            assert "j***@example.com" in sent and "jane@example.com" not in sent, sent
            google = urllib.parse.urlparse(driver.find_element(By.ID, "google-calendar-link").get_attribute("href"))
            assert (google.scheme, google.netloc, google.path) == ("https", "calendar.google.com", "/calendar/render"), google
            query = urllib.parse.parse_qs(google.query)
            assert query["action"] == ["TEMPLATE"] and reference in query["details"][0], query
            assert re.match(r"^\d{8}T\d{6}Z/\d{8}T\d{6}Z$", query["dates"][0]), query["dates"]
            self.shot(driver, "03-phone-confirmed")
            self.result["phone"] = {"reference": reference, "start": start, "local": local, "shown": shown}
        finally:
            self.close("phone", driver)

    def country(self):
        """The phone field at 375x812 in London, in English: the picker starts at the UK with its
        example, the example follows another country, a short UK number is refused with the
        expected form, and the corrected national number books."""
        driver = browser("Europe/London", "en-GB", 375, 812, mobile=True)
        try:
            driver.get(self.url + "/")
            self.loaded(driver, "tz=Europe")
            self.pick_first_slot(driver)
            picker = driver.find_element(By.ID, "country")
            chosen = picker.find_element(By.CSS_SELECTOR, "option:checked")
            assert chosen.get_attribute("value") == "GB" and chosen.text == "United Kingdom +44", chosen.text
            self.expect_text(driver, "#phone-example", lambda t: t == "07400 123456", "the UK's example")
            driver.find_element(By.CSS_SELECTOR, "#country option[value='DE']").click()
            self.expect_text(driver, "#phone-example", lambda t: t == "01512 3456789", "Germany's example, after the change")
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 375, f"the page is {width} px wide at 375"
            self.fill(driver, "Jane Smith", "jane.smith@example.com", "07400 12345", country="GB")
            self.expect_text(driver, "#phone-example", lambda t: t == "07400 123456", "the UK's example, chosen again")
            self.shot(driver, "16-phone-country-picker")
            self.submit(driver)
            error = self.expect_text(driver, "#phone-error", lambda t: "07400 123456" in t and "United Kingdom" in t, "the refusal with the UK's example")
            assert driver.find_element(By.ID, "phone").get_attribute("aria-invalid") == "true"
            assert driver.find_element(By.ID, "phone").get_attribute("value") == "07400 12345", "what was typed is kept"
            assert driver.find_element(By.CSS_SELECTOR, "#country option:checked").get_attribute("value") == "GB"
            driver.execute_script("document.getElementById('phone').scrollIntoView({block: 'center'})")
            self.shot(driver, "17-phone-number-refused")
            phone = driver.find_element(By.ID, "phone")
            phone.clear()
            phone.send_keys("07400 123456")
            self.submit(driver)
            self.loaded(driver, "done=booked")
            self.result["country"] = {"reference": self.text(driver, "#reference"), "error": error}
        finally:
            self.close("country", driver)

    def desktop(self):
        """Book at desktop size in Tokyo, in Russian; then reschedule and cancel."""
        driver = browser("Asia/Tokyo", "ru-RU", 1280, 900)
        try:
            driver.get(self.url + "/")
            self.loaded(driver, "tz=Asia")
            self.expect_text(driver, "#zone-name", lambda t: t == "Asia/Tokyo", "the browser's zone")
            assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru"
            # Day navigation: the next day with slots, by its link.
            driver.find_element(By.ID, "next-day").click()
            self.wait(driver, lambda d: "date=" in d.current_url)
            self.shot(driver, "04-desktop-pick-time")
            local, start = self.pick_first_slot(driver)
            self.fill(driver, "Иван Петров", "ivan.petrov@example.com", "8 916 123-45-67", country="RU")
            self.shot(driver, "05-desktop-details")
            self.submit(driver)
            self.loaded(driver, "done=booked")
            reference = self.text(driver, "#reference")
            shown = self.expect_text(driver, "#booking-time", lambda t: local in t and "Asia/Tokyo" in t and "по Москве" in t, "the booked time")
            self.shot(driver, "06-desktop-confirmed")

            # Manage: open by the reference typed in, reschedule to another day's first slot.
            driver.get(self.url + "/manage")
            driver.find_element(By.ID, "reference").send_keys(reference.lower())
            driver.find_element(By.CSS_SELECTOR, "form.find button").click()
            self.wait(driver, lambda d: "/manage/" + reference in d.current_url)
            self.shot(driver, "07-desktop-manage")
            driver.find_element(By.ID, "reschedule-link").click()
            self.wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "button.slot")))
            driver.find_element(By.ID, "next-week").click()
            self.wait(driver, lambda d: "date=" in d.current_url)
            self.shot(driver, "08-desktop-reschedule")
            button = self.wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, "button.slot")))
            new_local = button.find_element(By.CSS_SELECTOR, ".local").text
            new_start = button.get_attribute("data-start")
            button.click()
            # Asked first, with both times.
            self.expect_text(driver, "#new-time", lambda t: new_local in t, "the new time, to confirm")
            driver.find_element(By.ID, "reschedule-yes").click()
            self.loaded(driver, "done=rescheduled")
            self.expect_text(driver, "#booking-time", lambda t: new_local in t and t != shown, "the new time")
            self.shot(driver, "09-desktop-rescheduled")

            driver.find_element(By.ID, "reason").send_keys("Планы изменились")
            driver.find_element(By.ID, "cancel-button").click()
            self.wait(driver, EC.presence_of_element_located((By.ID, "cancel-yes"))).click()
            self.wait(driver, lambda d: "done=cancelled" in d.current_url)
            status = driver.find_element(By.ID, "booking-status").get_attribute("data-status")
            assert status == "cancelled", status
            self.shot(driver, "10-desktop-cancelled")
            self.result["desktop"] = {"reference": reference, "start": start, "local": local, "new_start": new_start, "new_local": new_local}
        finally:
            self.close("desktop", driver)

    def race(self, start):
        """Two browsers on the form for the same (last) slot: one books, the other is told and
        offered the fresh slots, and books one of them."""
        first = browser("Europe/Berlin", "en-GB", 1024, 800)
        second = browser("Europe/Berlin", "en-GB", 1024, 800)
        try:
            path = self.url + "/book?start=" + urllib.request.quote(start) + "&tz=Europe/Berlin"
            for driver, n in ((first, 1), (second, 2)):
                driver.get(path)
                self.wait(driver, EC.presence_of_element_located((By.ID, "chosen-time")))
                self.fill(driver, f"Racer {n}", f"racer{n}@example.com", f"30 1234567{n}", country="DE")
            self.submit(first)
            self.wait(first, lambda d: "done=booked" in d.current_url)
            winner = self.text(first, "#reference")
            second.find_element(By.ID, "book-button").click()
            alert = self.wait(second, EC.presence_of_element_located((By.CSS_SELECTOR, ".alert"))).text
            assert "taken" in alert, alert
            offered = [e.get_attribute("value") for e in second.find_elements(By.CSS_SELECTOR, "#fresh-slots input[type=radio]")]
            assert start not in offered, (start, offered)
            assert second.find_element(By.ID, "name").get_attribute("value") == "Racer 2", "the details are kept"
            self.shot(second, "11-race-slot-taken")
            self.result["race"] = {"winner": winner, "offered": len(offered)}
            if offered:
                second.find_element(By.CSS_SELECTOR, "#fresh-slots label").click()
                self.submit(second)
                self.wait(second, lambda d: "done=booked" in d.current_url)
                self.result["race"]["second"] = self.text(second, "#reference")
        finally:
            self.close("race", first, second)

    def noscript(self):
        """JavaScript off: the zone comes from the selector, the forms are plain posts."""
        driver = browser("Asia/Tokyo", "en-US", 375, 667, mobile=True, javascript=False)
        try:
            driver.get(self.url + "/")
            self.expect_text(driver, "#zone-name", lambda t: t == "Europe/Moscow", "without the script, the calendar's zone")
            driver.find_element(By.CSS_SELECTOR, "#tz option[value='Asia/Tokyo']").click()
            driver.find_element(By.CSS_SELECTOR, "form.zone button").click()
            self.loaded(driver, "tz=Asia")
            self.expect_text(driver, "#zone-name", lambda t: t == "Asia/Tokyo", "the chosen zone")
            local, start = self.pick_first_slot(driver)
            self.fill(driver, "No Script", "noscript@example.com", "90 1234 5678", country="JP")
            self.submit(driver)
            self.loaded(driver, "done=booked")
            self.expect_text(driver, "#booking-time", lambda t: local in t and "Asia/Tokyo" in t, "the booked time")
            self.shot(driver, "12-noscript-confirmed")
            reference = self.text(driver, "#reference")
            # Cancelling asks on a page of its own: "No" keeps the booking, "Yes" cancels it.
            driver.find_element(By.ID, "cancel-button").click()
            self.wait(driver, EC.presence_of_element_located((By.ID, "keep-booking"))).click()
            self.wait(driver, lambda d: d.find_element(By.ID, "booking-status").get_attribute("data-status") == "confirmed")
            driver.find_element(By.ID, "cancel-button").click()
            self.wait(driver, EC.presence_of_element_located((By.ID, "cancel-yes"))).click()
            self.loaded(driver, "done=cancelled")
            self.result["noscript"] = {"reference": reference, "start": start}
        finally:
            self.close("noscript", driver)


class HostPage(http.server.BaseHTTPRequestHandler):
    """A company's own site: one page that embeds the booking page by its script tag."""
    booking = ""

    def do_GET(self):
        body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<title>Example Ltd</title></head><body style="margin:0;font-family:sans-serif">'
                f'<header style="background:#222;color:#fff;padding:12px 16px"><strong>Example Ltd</strong> · our own site</header>'
                f'<main style="padding:0 8px"><h1 style="font-size:20px">Talk to us</h1>'
                f'<script src="{self.booking}/embed.js" data-lang="en"></script>'
                f'<p id="after">Below the booking page.</p></main></body></html>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments):
        pass


def serve_host(port, booking):
    handler = type("Host", (HostPage,), {"booking": booking})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def embed(flow, listed_port, unlisted_port):
    """The page in a frame of the listed site grows to its content; another site is refused."""
    servers = [serve_host(listed_port, flow.url), serve_host(unlisted_port, flow.url)]
    driver = browser("Europe/Moscow", "en-US", 375, 812, mobile=True)
    try:
        driver.get(f"http://127.0.0.1:{listed_port}/")
        frame = flow.wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "iframe[data-booking-frame]")))
        # The frame takes the page's height, told by the page itself.
        flow.wait(driver, lambda d: frame.value_of_css_property("height") != "600px")
        driver.switch_to.frame(frame)
        flow.wait(driver, EC.presence_of_element_located((By.ID, "legal")))
        inner = driver.execute_script("return Math.ceil(document.body.getBoundingClientRect().height)")
        driver.switch_to.default_content()
        flow.wait(driver, lambda d: abs(d.execute_script("return arguments[0].getBoundingClientRect().height", frame) - inner) <= 1)
        assert inner > 600, inner
        outer = driver.execute_script("return arguments[0].getBoundingClientRect().height", frame)
        flow.shot(driver, "15-phone-embedded")
        flow.result["embed"] = {"frame_height": outer, "page_height": inner}

        driver.get(f"http://127.0.0.1:{unlisted_port}/")
        flow.wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, "iframe[data-booking-frame]")))
        refusal = flow.wait(driver, lambda d: next((entry["message"] for entry in d.get_log("browser")
                                                    if "frame-ancestors" in entry["message"]), False))
        frame = driver.find_element(By.CSS_SELECTOR, "iframe[data-booking-frame]")
        assert frame.value_of_css_property("height") == "600px", "a refused frame tells nothing"
        flow.result["embed"]["refused"] = refusal
    finally:
        flow.close("embed", driver)
        for server in servers:
            server.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--scenario", choices=["phone", "desktop", "race", "noscript", "embed", "country"], action="append", required=True)
    parser.add_argument("--race-start", help="the slot both browsers want (race)")
    parser.add_argument("--listed-port", type=int, help="the port of the host site allowed to embed the page (embed)")
    parser.add_argument("--unlisted-port", type=int, help="the port of a host site not allowed to (embed)")
    parser.add_argument("--min-fill", type=float, default=1.0)
    arguments = parser.parse_args()
    flow = Flow(arguments.url, arguments.screenshots, arguments.min_fill)
    for scenario in arguments.scenario:
        print(f"scenario {scenario}", file=sys.stderr)
        if scenario == "race":
            flow.race(arguments.race_start)
        elif scenario == "embed":
            embed(flow, arguments.listed_port, arguments.unlisted_port)
        else:
            getattr(flow, scenario)()
    print(json.dumps(flow.result))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        print(f"failed: {error!r}", file=sys.stderr)
        raise
