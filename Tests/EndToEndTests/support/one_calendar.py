#!/usr/bin/env python3
"""Applies calendar files to one calendar, as a calendar application does, and prints what it
holds as JSON. Each argument is an .ics file (the booking page's "add to calendar") or an .eml
(an invite from notifyd: its text/calendar part). Events are matched by UID; a version replaces
the one held when its SEQUENCE is higher, or equal with a DTSTAMP not older (RFC 5546 §2.1.5);
METHOD:CANCEL or STATUS:CANCELLED marks the event cancelled. Parsing is python3-icalendar's."""
import email
import email.policy
import json
import sys

from icalendar import Calendar


def calendars(path):
    with open(path, "rb") as handle:
        data = handle.read()
    if not path.endswith(".eml"):
        return [Calendar.from_ical(data)]
    message = email.message_from_bytes(data, policy=email.policy.default)
    # The inline part is what mail clients act on; the attachment is the same bytes.
    return [Calendar.from_ical(part.get_payload(decode=True)) for part in message.walk()
            if part.get_content_type() == "text/calendar"][:1]


held, inputs = {}, []
for path in sys.argv[1:]:
    for calendar in calendars(path):
        method = str(calendar.get("METHOD", "PUBLISH"))
        for event in calendar.walk("VEVENT"):
            version = {
                "uid": str(event["UID"]),
                "sequence": int(event.get("SEQUENCE", 0)),
                "stamp": event.decoded("DTSTAMP").isoformat(),
                "start": event.decoded("DTSTART").isoformat(),
                "end": event.decoded("DTEND").isoformat(),
                "status": "CANCELLED" if method == "CANCEL" else str(event.get("STATUS", "CONFIRMED")),
                "method": method,
                "file": path,
            }
            inputs.append(version)
            current = held.get(version["uid"])
            if current is None or (version["sequence"], version["stamp"]) >= (current["sequence"], current["stamp"]):
                held[version["uid"]] = version

print(json.dumps({"events": list(held.values()), "inputs": inputs}))
