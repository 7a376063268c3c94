#!/usr/bin/env python3
"""Reads .eml files and prints what a test asserts on, as JSON: decoded headers, the MIME
parts, and the iCalendar invite as a real parser (python3-icalendar) reads it."""
import email
import email.policy
import json
import sys

from icalendar import Calendar


def summary(path):
    with open(path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    parts, invite, text, html = [], None, None, None
    for part in message.walk():
        kind = part.get_content_type()
        if part.is_multipart():
            parts.append(kind)
            continue
        parts.append(kind)
        if kind == "text/plain":
            text = part.get_content()
        elif kind == "text/html":
            html = part.get_content()
        elif kind == "text/calendar" and invite is None:
            calendar = Calendar.from_ical(part.get_payload(decode=True))
            event = next(iter(calendar.walk("VEVENT")))
            invite = {
                "method": str(calendar.get("METHOD")),
                "content_method": part.get_param("method"),
                "uid": str(event.get("UID")),
                "sequence": int(event.get("SEQUENCE")),
                "start": event.decoded("DTSTART").isoformat(),
                "end": event.decoded("DTEND").isoformat(),
                "status": str(event.get("STATUS", "")),
                "location": str(event.get("LOCATION", "")),
                "url": str(event.get("URL", "")),
                "conference": str(event.get("CONFERENCE", "")),
            }
    return {
        "file": path,
        "message_id": str(message["Message-ID"]).strip("<>"),
        "subject": str(message["Subject"]),
        "from": str(message["From"]),
        "to": str(message["To"]),
        "reference": str(message.get("X-Booking-Reference", "")),
        "parts": parts,
        "text": text,
        "html": html,
        "invite": invite,
    }


print(json.dumps([summary(path) for path in sys.argv[1:]], ensure_ascii=False))
