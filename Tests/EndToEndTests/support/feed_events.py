#!/usr/bin/env python3
"""Reads a subscribed calendar feed (an .ics file) as a calendar application does, with
python3-icalendar, and prints what a test asserts on as JSON: the calendar's properties and each
event's. A feed the parser refuses fails the script."""
import json
import sys

from icalendar import Calendar

with open(sys.argv[1], "rb") as handle:
    calendar = Calendar.from_ical(handle.read())

print(json.dumps({
    "method": str(calendar.get("METHOD", "")),
    "name": str(calendar.get("X-WR-CALNAME", "")),
    "refresh": str(calendar.get("REFRESH-INTERVAL", "")),
    "ttl": str(calendar.get("X-PUBLISHED-TTL", "")),
    "events": [{
        "uid": str(event["UID"]),
        "sequence": int(event.get("SEQUENCE", 0)),
        "start": event.decoded("DTSTART").isoformat(),
        "end": event.decoded("DTEND").isoformat(),
        "summary": str(event.get("SUMMARY", "")),
        "description": str(event.get("DESCRIPTION", "")),
        "location": str(event.get("LOCATION", "")),
        "status": str(event.get("STATUS", "")),
    } for event in calendar.walk("VEVENT")],
}, ensure_ascii=False))
