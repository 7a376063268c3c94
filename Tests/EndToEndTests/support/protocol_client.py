"""A client of booking/1 written from docs/protocol.md alone, run against the real daemons.

    python3 protocol_client.py <runtime directory>

Sends every request type the document lists to the daemon it names, with the header and body
the document describes, and checks each reply's shape against the document. Prints one line per
exchange and exits non-zero at the first answer the document does not predict.
"""
import json
import sys
import uuid

import zmq

RUN = sys.argv[1]
SIGNATURE = b"booking/1"
context = zmq.Context()
sockets = {}


def socket(daemon):
    if daemon not in sockets:
        dealer = context.socket(zmq.DEALER)
        dealer.setsockopt(zmq.LINGER, 0)
        dealer.connect(f"ipc://{RUN}/{daemon}.ipc")
        sockets[daemon] = dealer
    return sockets[daemon]


def header(**extra):
    # The document allows any RFC 3339 form: a lower-case t and a basic offset here.
    fields = {"id": str(uuid.uuid4()), "sent_at": "2026-12-01t10:58:00.123456+0300"}
    fields.update(extra)
    return fields


def exchange(daemon, type_, body, raw_header=None, **header_fields):
    fields = header(**header_fields)
    frames = [b"", SIGNATURE, type_.encode(), raw_header if raw_header is not None else json.dumps(fields).encode(), json.dumps(body).encode()]
    dealer = socket(daemon)
    dealer.send_multipart(frames)
    if not dealer.poll(15000):
        fail(f"{daemon} did not answer {type_}")
    reply = dealer.recv_multipart()
    if len(reply) != 5 or reply[0] != b"" or reply[1] != SIGNATURE:
        fail(f"{type_}: the reply is not [empty, signature, type, header, body]: {reply!r}")
    reply_header = json.loads(reply[3])
    return reply[2].decode(), reply_header, json.loads(reply[4]), fields["id"]


def fail(message):
    print("FAIL", message)
    sys.exit(1)


def ok(daemon, type_, body, keys=(), **header_fields):
    kind, reply_header, reply, sent = exchange(daemon, type_, body, **header_fields)
    if kind != type_ + ".reply":
        fail(f"{daemon} {type_}: {kind} {reply}")
    if reply_header.get("correlation_id") != sent:
        fail(f"{type_}: correlation_id {reply_header.get('correlation_id')} is not the request's id {sent}")
    for key in keys:
        if key not in reply:
            fail(f"{type_}: the reply lacks '{key}': {reply}")
    print("ok", daemon, type_)
    return reply


def refused(daemon, type_, body, code, field=None, **header_fields):
    kind, reply_header, reply, sent = exchange(daemon, type_, body, **header_fields)
    if kind != "error" or reply.get("code") != code or (field is not None and reply.get("field") != field):
        fail(f"{daemon} {type_} {body}: expected {code} on {field}, got {kind} {reply}")
    if reply_header.get("correlation_id") != sent:
        fail(f"{type_}: an error's correlation_id is not the request's id")
    print("refused as documented", daemon, type_, code, field or "")
    return reply


APPOINTMENT = ["reference", "id", "client_id", "consultant_id", "start", "end", "status", "contact", "time_zone", "locale",
               "created_at", "updated_at", "reminder_sent", "revision"]
contact = {"name": "Иван Петров", "email": "ivan@example.com", "phone": "+7 916 123-45-67"}

# bookingd
booked = ok("bookingd", "book", {"start": "2026-12-02T11:00:00+03:00", "contact": contact, "time_zone": "Europe/Berlin", "locale": "en",
                                 "topic": None}, APPOINTMENT, idempotency_key=str(uuid.uuid4()))
reference = booked["reference"]
if booked["status"] != "confirmed" or booked["revision"] != 0 or "topic" in booked and booked["topic"] is not None:
    fail(f"book: {booked}")
ok("bookingd", "get", {"reference": reference.lower().replace("-", "")}, APPOINTMENT)
second = ok("bookingd", "book", {"start": "2026-12-02T11:30:00+03:00", "contact": dict(contact, email="petr@example.com", phone="+7 916 123-45-68")},
            APPOINTMENT, idempotency_key=str(uuid.uuid4()))
moved = ok("bookingd", "reschedule", {"reference": reference, "start": "2026-12-03T12:00:00+03:00"}, APPOINTMENT, idempotency_key=str(uuid.uuid4()))
if moved["revision"] != 1:
    fail(f"reschedule: revision {moved['revision']}")
first_page = ok("bookingd", "list", {"limit": 1}, ["appointments"])
if len(first_page["appointments"]) != 1 or "next" not in first_page:
    fail(f"list: one of two with a cursor expected: {first_page}")
last_page = ok("bookingd", "list", {"limit": 1, "after": first_page["next"]}, ["appointments"])
if len(last_page["appointments"]) != 1 or last_page.get("next") is not None:
    fail(f"list: the last page expected: {last_page}")
ok("bookingd", "history", {"reference": reference}, ["reference", "entries"])
replay = ok("bookingd", "replay", {"after": 0}, ["events", "last_sequence"])
if [event["sequence"] for event in replay["events"]] != list(range(1, replay["last_sequence"] + 1)):
    fail(f"replay: sequences {replay}")
ok("bookingd", "snapshot", {}, ["sequence", "booked"])
ok("bookingd", "mark_reminder_sent", {"reference": second["reference"], "start": second["start"]}, APPOINTMENT)
ok("bookingd", "cancel", {"reference": second["reference"], "reason": "plans changed"}, APPOINTMENT, idempotency_key=str(uuid.uuid4()))
ok("bookingd", "pause", {"reason": "database upgrade"}, ["paused", "reason"], user="tester")
refused("bookingd", "book", {"start": "2026-12-04T11:00:00+03:00", "contact": dict(contact, email="x@example.com", phone="+7 916 123-45-69")},
        "unavailable")
ok("bookingd", "resume", {}, ["paused"], user="tester")
ok("bookingd", "ping", {}, ["daemon", "version", "pid", "started_at", "state", "warnings"])

# What the document says about refusals.
refused("bookingd", "get", {"reference": 17}, "validation_failed", "reference")
refused("bookingd", "get", {"reference": None}, "validation_failed", "reference")
refused("bookingd", "get", {}, "validation_failed", "reference")
refused("bookingd", "list", {"limit": 0}, "validation_failed", "limit")
refused("bookingd", "replay", {"after": 0, "limit": -1}, "validation_failed", "limit")
refused("bookingd", "replay", {"after": 0, "limit": 1001}, "validation_failed", "limit")
refused("bookingd", "list", {"after": "nonsense"}, "invalid_reference", "after")
refused("bookingd", "cancel", {"reference": reference, "reason": "x" * 501}, "validation_failed", "reason")
refused("bookingd", "book", {"start": "2026-12-04T11:00:00+03:00", "contact": contact}, "validation_failed", "header.idempotency_key",
        idempotency_key="k" * 129)
refused("bookingd", "teleport", {}, "unknown_type")
kind, reply_header, reply, _ = exchange("bookingd", "get", {"reference": reference}, raw_header=b'{"id": "req-no-sent-at"}')
if kind != "error" or reply["code"] != "validation_failed" or reply.get("field") != "header.sent_at" or reply_header["correlation_id"] != "req-no-sent-at":
    fail(f"a header without sent_at: {kind} {reply_header} {reply}")
kind, reply_header, reply, _ = exchange("bookingd", "get", {"reference": reference}, raw_header=b"[]")
if kind != "error" or reply["code"] != "malformed" or reply_header.get("correlation_id") is not None:
    fail(f"a header that is not an object: {kind} {reply_header} {reply}")
print("ok refusals of headers")

# availabilityd
ok("availabilityd", "slots", {"from": "2026-12-02", "days": 2, "time_zone": "America/New_York"}, ["time_zone", "slots", "warnings"])
refused("availabilityd", "slots", {"days": 0}, "validation_failed", "days")
ok("availabilityd", "calendar", {"year": 2027}, ["time_zone", "days", "warnings"])
refused("availabilityd", "calendar", {"year": 1989}, "validation_failed", "year")
ok("availabilityd", "check_slot", {"start": "2026-12-04T11:00:00+03:00"}, ["start", "end", "candidates", "horizon_end"])
ok("availabilityd", "consultants", {"include_removed": True}, ["consultants"])
ok("availabilityd", "consultant_add", {"id": "carl", "name": "Carl", "email": "carl@example.com", "time_zone": "Europe/Berlin", "locale": "en"},
   ["id", "name", "email"], user="tester")
ok("availabilityd", "consultant_edit", {"id": "carl", "name": "Carl Berg"}, ["id", "name"], user="tester")
time_off = ok("availabilityd", "time_off_add", {"consultant_id": "carl", "from": "2026-12-07", "through": "2026-12-08", "reason": "leave"},
              ["id", "moved", "cancelled"], user="tester")
ok("availabilityd", "time_off_remove", {"id": time_off["id"]}, ["id", "cancelled"], user="tester")
ok("availabilityd", "consultant_remove", {"id": "carl"}, ["id", "moved", "cancelled"], user="tester")
ok("availabilityd", "block", {"from": "2026-12-09", "through": "2026-12-09", "reason": "training"}, ["blocked", "cancelled"], user="tester")
refused("availabilityd", "block", {"from": "2026-12-09", "through": "2026-12-09", "reason": ""}, "validation_failed", "reason", user="tester")
ok("availabilityd", "unblock", {"from": "2026-12-09", "through": "2026-12-09"}, ["removed"], user="tester")
ok("availabilityd", "ping", {}, ["daemon", "state"])

# notifyd
ok("notifyd", "notifications", {"reference": reference}, ["notifications"])
ok("notifyd", "notifications", {"failed": True, "limit": 10}, ["notifications"])
refused("notifyd", "notifications", {"failed": True, "limit": 0}, "validation_failed", "limit")
refused("notifyd", "notification_retry", {"id": "no-such-notification"}, "not_found", "id")
ok("notifyd", "test_email", {"address": "ops@example.com"}, ["recipient", "transport", "message_id"], user="tester")
ok("notifyd", "ping", {}, ["daemon", "backlog"])

# Every daemon's control messages.
for daemon in ("bookingd", "availabilityd", "notifyd"):
    ok(daemon, "reload", {}, ["daemon", "status"], user="tester")
    ok(daemon, "metrics", {}, ["daemon", "exposition"])
    ok(daemon, "backup", {"label": "contract-client"}, ["daemon", "path", "bytes", "integrity", "created_at"], user="tester")
refused("bookingd", "backup", {"label": ".hidden"}, "validation_failed", "label", user="tester")
print("every request type answered as docs/protocol.md says")
