#!/usr/bin/python3
"""A CRM on loopback for the tests (Python's http.server): Bitrix24, amoCRM or a Standard
Webhooks receiver, checking each request against the provider's documented shape and
answering as the documentation shows.

  --provider bitrix24  inbound webhook /rest/<user>/<key>/<method>: crm.lead.add, crm.lead.update,
                       crm.lead.list (JSON bodies; multi-fields PHONE/EMAIL as [{VALUE, VALUE_TYPE}])
  --provider amocrm    API v4 with "Authorization: Bearer <token>": POST /api/v4/leads/unsorted/forms,
                       GET /api/v4/leads/unsorted, POST and GET /api/v4/leads/<id>/notes
  --provider webhook   POST with webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256
                       keyed with the whsec_ secret); messages are deduplicated by webhook-id

A request that does not fit is answered 400 and recorded under "problems". Prints "READY <port>";
every request is appended to --out (one JSON line); the CRM's state (leads, their changes,
problems) is rewritten to --state after each request. --fail-first N answers the first N
requests with --fail-status (with --retry-after on 429/503); --fail-always answers every request
so; --lose-first-create N makes the first N leads and closes the connection without an answer
(a crash between the CRM's work and the client's commit, as the client sees it), and
--lose-first-note N the first N amoCRM notes likewise; --delay
answers that many seconds after the work is done.
Exits when its standard input closes.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BITRIX_LEAD_FIELDS = {
    "TITLE", "NAME", "SECOND_NAME", "LAST_NAME", "PHONE", "EMAIL", "WEB", "IM", "COMMENTS", "SOURCE_ID", "SOURCE_DESCRIPTION",
    "STATUS_ID", "STATUS_DESCRIPTION", "UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM", "ORIGINATOR_ID",
    "ORIGIN_ID", "ASSIGNED_BY_ID", "OPENED", "COMPANY_TITLE", "POST",
}
MULTI_FIELDS = {"PHONE", "EMAIL", "WEB", "IM"}
VALUE_TYPES = {"WORK", "MOBILE", "HOME", "FAX", "PAGER", "MAILING", "OTHER"}
WEBHOOK_TYPES = {"lead.created", "lead.rescheduled", "lead.cancelled", "lead.attended", "lead.no_show"}


class Refused(Exception):
    def __init__(self, status, problem, body):
        super().__init__(problem)
        self.status, self.problem, self.body = status, problem, body


def bitrix_error(problem, status=400):
    return Refused(status, problem, {"error": "INVALID_REQUEST", "error_description": problem})


def amo_error(problem, status=400):
    return Refused(status, problem, {"title": "Bad Request", "type": "https://httpstatus.es/400", "status": status, "detail": problem})


def expect(condition, problem, error):
    if not condition:
        raise error(problem)


class CRM:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.leads = {}        # id -> lead record
        self.next_id = 100
        self.problems = []
        self.duplicates = 0
        self.seen_webhook_ids = set()
        self.served = 0
        self.made = {}         # "create" or "note" -> how many

    def state(self):
        return {"leads": list(self.leads.values()), "problems": self.problems, "duplicates": self.duplicates}

    # Bitrix24 ----------------------------------------------------------------------------

    def bitrix24(self, method, path, headers, body):
        match = re.fullmatch(r"/rest/(\d+)/([^/]+)/(crm\.lead\.(?:add|update|list))(?:\.json)?", urlsplit(path).path)
        expect(match, f"unknown path {path}", bitrix_error)
        expect(match.group(2) == self.args.key, "wrong webhook key", lambda p: bitrix_error(p, 401))
        expect(method == "POST", f"{method} instead of POST", bitrix_error)
        expect(headers.get("Content-Type", "").startswith("application/json"), "Content-Type is not application/json", bitrix_error)
        try:
            request = json.loads(body)
        except ValueError:
            raise bitrix_error("the body is not JSON")
        expect(isinstance(request, dict), "the body is not an object", bitrix_error)
        name = match.group(3)
        if name == "crm.lead.add":
            expect(set(request) <= {"fields", "params"}, f"unknown parameters {sorted(set(request) - {'fields', 'params'})}", bitrix_error)
            fields = self.bitrix_fields(request.get("fields"))
            for required in ("TITLE", "NAME", "ORIGINATOR_ID", "ORIGIN_ID", "SOURCE_ID"):
                expect(isinstance(fields.get(required), str) and fields[required], f"fields.{required} is missing", bitrix_error)
            expect(request.get("params", {}) == {"REGISTER_SONET_EVENT": "Y"}, "params is not {REGISTER_SONET_EVENT: Y}", bitrix_error)
            lead_id = self.make_lead({"external": [fields["ORIGINATOR_ID"], fields["ORIGIN_ID"]], "fields": fields, "updates": []})
            return "create", {"result": int(lead_id), "time": self.bitrix_time()}
        if name == "crm.lead.update":
            expect(set(request) <= {"id", "fields", "params"}, "unknown parameters", bitrix_error)
            expect(isinstance(request.get("id"), int), "id is not an integer", bitrix_error)
            fields = self.bitrix_fields(request.get("fields"))
            expect(not (set(fields) & {"PHONE", "EMAIL"}), "an update with PHONE or EMAIL adds them again", bitrix_error)
            lead = self.leads.get(str(request["id"]))
            expect(lead is not None, "Not found", bitrix_error)
            lead["fields"].update(fields)
            lead["updates"].append(fields)
            return None, {"result": True, "time": self.bitrix_time()}
        expect(set(request) <= {"filter", "select", "order", "start"}, "unknown parameters", bitrix_error)
        wanted = {key.lstrip("="): value for key, value in (request.get("filter") or {}).items()}
        expect(set(wanted) <= {"ORIGINATOR_ID", "ORIGIN_ID"}, f"unexpected filter {sorted(wanted)}", bitrix_error)
        found = [{"ID": lead["id"]} for lead in self.leads.values()
                 if all(lead["fields"].get(key) == value for key, value in wanted.items())]
        return None, {"result": found, "total": len(found), "time": self.bitrix_time()}

    def bitrix_fields(self, fields):
        expect(isinstance(fields, dict) and fields, "fields is not an object", bitrix_error)
        unknown = set(fields) - BITRIX_LEAD_FIELDS
        expect(not unknown, f"unknown fields {sorted(unknown)}", bitrix_error)
        for name, value in fields.items():
            if name in MULTI_FIELDS:
                expect(isinstance(value, list) and value, f"{name} is not a list of values", bitrix_error)
                for item in value:
                    expect(isinstance(item, dict) and set(item) <= {"VALUE", "VALUE_TYPE", "ID"} and isinstance(item.get("VALUE"), str)
                           and item.get("VALUE_TYPE") in VALUE_TYPES, f"{name} holds {item!r}, not {{VALUE, VALUE_TYPE}}", bitrix_error)
            else:
                expect(isinstance(value, str), f"{name} is not a string", bitrix_error)
        return fields

    @staticmethod
    def bitrix_time():
        now = time.time()
        return {"start": now, "finish": now, "duration": 0.001, "processing": 0.001,
                "date_start": time.strftime("%Y-%m-%dT%H:%M:%S+03:00"), "date_finish": time.strftime("%Y-%m-%dT%H:%M:%S+03:00")}

    # amoCRM ------------------------------------------------------------------------------

    def amocrm(self, method, path, headers, body):
        expect(headers.get("Authorization") == f"Bearer {self.args.token}", "no or a wrong bearer token",
               lambda p: Refused(401, p, {"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401, "detail": p}))
        url = urlsplit(path)
        if url.path == "/api/v4/leads/unsorted/forms":
            expect(method == "POST", f"{method} instead of POST", amo_error)
            request = self.amo_json(headers, body, list)
            answer = []
            for index, item in enumerate(request):
                answer.append(self.amo_unsorted(item, str(index)))
            return "create", {"_total_items": len(answer), "_embedded": {"unsorted": answer}}
        if url.path == "/api/v4/leads/unsorted":
            expect(method == "GET", f"{method} instead of GET", amo_error)
            query = parse_qs(url.query)
            expect(query.get("filter[category][]") == ["forms"], f"filter[category][] is not forms: {url.query}", amo_error)
            limit = int(query.get("limit", ["50"])[0])
            expect(1 <= limit <= 250, "limit is not between 1 and 250", amo_error)
            items = sorted((lead["unsorted"] for lead in self.leads.values()), key=lambda u: u["created_at"],
                           reverse=query.get("order[created_at]") == ["desc"])[:limit]
            if not items:
                return None, None  # 204 No Content
            return None, {"_page": 1, "_links": {"self": {"href": path}}, "_embedded": {"unsorted": items}}
        match = re.fullmatch(r"/api/v4/leads/(\d+)/notes", url.path)
        expect(match, f"unknown path {url.path}", lambda p: amo_error(p, 404))
        lead = self.leads.get(match.group(1))
        expect(lead is not None, "no such lead", lambda p: amo_error(p, 404))
        if method == "GET":
            query = parse_qs(url.query)
            expect(query.get("filter[note_type]") in (["common"], None), f"filter[note_type] {query.get('filter[note_type]')}", amo_error)
            limit = int(query.get("limit", ["50"])[0])
            expect(1 <= limit <= 250, "limit is not between 1 and 250", amo_error)
            listed = [{"id": n["id"], "entity_id": int(lead["id"]), "note_type": "common", "params": {"text": n["text"]}} for n in lead["note_records"]]
            if query.get("order[id]") == ["desc"]:
                listed.reverse()
            listed = listed[:limit]
            return None, ({"_page": 1, "_links": {"self": {"href": url.path}}, "_embedded": {"notes": listed}} if listed else None)
        expect(method == "POST", f"{method} instead of POST", amo_error)
        notes = []
        for item in self.amo_json(headers, body, list):
            expect(isinstance(item, dict) and item.get("note_type") == "common", "note_type is not common", amo_error)
            text = (item.get("params") or {}).get("text")
            expect(isinstance(text, str) and text, "params.text is missing", amo_error)
            lead["notes"].append(text)
            self.next_id += 1
            lead["note_records"].append({"id": self.next_id, "text": text})
            notes.append({"id": self.next_id, "entity_id": int(lead["id"]), "request_id": str(len(notes)),
                          "_links": {"self": {"href": f"/api/v4/leads/{lead['id']}/notes/{self.next_id}"}}})
        return "note", {"_links": {"self": {"href": url.path}}, "_embedded": {"notes": notes}}

    def amo_json(self, headers, body, kind):
        expect(headers.get("Content-Type", "").startswith("application/json"), "Content-Type is not application/json", amo_error)
        try:
            value = json.loads(body)
        except ValueError:
            raise amo_error("the body is not JSON")
        expect(isinstance(value, kind) and value, f"the body is not a non-empty {kind.__name__}", amo_error)
        return value

    def amo_unsorted(self, item, request_id):
        expect(isinstance(item, dict), "an item is not an object", amo_error)
        unknown = set(item) - {"source_name", "source_uid", "pipeline_id", "created_at", "metadata", "_embedded", "request_id"}
        expect(not unknown, f"unknown keys {sorted(unknown)}", amo_error)
        for key in ("source_name", "source_uid"):
            expect(isinstance(item.get(key), str) and item[key], f"{key} is missing", amo_error)
        metadata = item.get("metadata")
        expect(isinstance(metadata, dict), "metadata is missing", amo_error)
        for key in ("form_id", "form_name", "form_page", "ip"):
            expect(isinstance(metadata.get(key), str) and metadata[key], f"metadata.{key} is missing", amo_error)
        expect(isinstance(metadata.get("form_sent_at"), int), "metadata.form_sent_at is not a Unix time", amo_error)
        expect(set(metadata) <= {"form_id", "form_name", "form_page", "ip", "form_sent_at", "referer"}, "unknown metadata", amo_error)
        embedded = item.get("_embedded") or {}
        leads = embedded.get("leads")
        expect(isinstance(leads, list) and len(leads) == 1 and isinstance(leads[0].get("name"), str), "_embedded.leads is not one lead with a name", amo_error)
        contacts = embedded.get("contacts", [])
        for contact in contacts:
            for field in contact.get("custom_fields_values", []):
                expect(field.get("field_code") in ("PHONE", "EMAIL"), f"field_code {field.get('field_code')!r}", amo_error)
                expect(all(isinstance(v.get("value"), str) for v in field.get("values", [])) and field.get("values"), "values without a value", amo_error)
        # As the documentation says: the inbox holds no two of the same.
        expect(all(lead["unsorted"]["source_uid"] != item["source_uid"] for lead in self.leads.values()),
               f"source_uid {item['source_uid']} is in the unsorted inbox already", amo_error)
        self.next_id += 1
        contact_id = self.next_id
        unsorted = {
            "uid": uuid.uuid4().hex, "source_uid": item["source_uid"], "source_name": item["source_name"], "category": "forms",
            "pipeline_id": item.get("pipeline_id", 1), "created_at": item.get("created_at", int(time.time())), "metadata": metadata,
            "account_id": 1, "request_id": request_id,
        }
        lead_id = self.make_lead({"external": [item["source_uid"]], "unsorted": unsorted, "contacts": contacts, "lead": leads[0], "notes": [], "note_records": []})
        unsorted["_embedded"] = {"leads": [{"id": int(lead_id)}], "contacts": [{"id": contact_id}], "companies": []}
        return unsorted

    # Standard Webhooks -------------------------------------------------------------------

    def webhook(self, method, path, headers, body):
        error = lambda p: Refused(400, p, {"error": p})
        expect(method == "POST", f"{method} instead of POST", error)
        expect(headers.get("Content-Type", "").startswith("application/json"), "Content-Type is not application/json", error)
        message_id, stamp, signatures = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
        expect(message_id and stamp and signatures, "a webhook-* header is missing", error)
        expect(stamp.isdigit() and abs(time.time() - int(stamp)) < self.args.tolerance, f"webhook-timestamp is not within {self.args.tolerance} s", error)
        key = base64.b64decode(self.args.secret.removeprefix("whsec_"))
        expected = base64.b64encode(hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()).decode()
        expect(any(s.startswith("v1,") and hmac.compare_digest(s[3:], expected) for s in signatures.split()), "the signature does not verify",
               lambda p: Refused(401, p, {"error": p}))
        try:
            payload = json.loads(body)
        except ValueError:
            raise error("the body is not JSON")
        expect(payload.get("type") in WEBHOOK_TYPES, f"type {payload.get('type')!r}", error)
        data = payload.get("data") or {}
        for key in ("lead_id", "reference", "status", "start", "end", "time_zone", "locale"):
            expect(isinstance(data.get(key), str), f"data.{key} is missing", error)
        expect(isinstance(data.get("contact"), dict), "data.contact is missing", error)
        if payload["type"] == "lead.rescheduled":
            expect(isinstance(data.get("previous_start"), str), "a reschedule without previous_start", error)
        if message_id in self.seen_webhook_ids:
            self.duplicates += 1
            return None, {"ok": True, "duplicate": True}
        self.seen_webhook_ids.add(message_id)
        lead = next((lead for lead in self.leads.values() if lead["external"] == [data["lead_id"]]), None)
        if lead is None:
            self.make_lead({"external": [data["lead_id"]], "messages": [payload]})
        else:
            lead["messages"].append(payload)
        return None, {"ok": True}

    def make_lead(self, record):
        self.next_id += 1
        record["id"] = str(self.next_id)
        self.leads[record["id"]] = record
        return record["id"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--provider", choices=["bitrix24", "amocrm", "webhook"], required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--key", default="k3y")
    p.add_argument("--token", default="amo-token")
    p.add_argument("--secret", default="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    p.add_argument("--tolerance", type=float, default=300, help="seconds a webhook-timestamp may be off")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-always", action="store_true")
    p.add_argument("--fail-status", type=int, default=503)
    p.add_argument("--retry-after")
    p.add_argument("--lose-first-create", type=int, default=0)
    p.add_argument("--lose-first-note", type=int, default=0)
    p.add_argument("--delay", type=float, default=0.0, help="seconds between doing the work and answering")
    args = p.parse_args()
    crm = CRM(args)
    handle_provider = getattr(crm, args.provider)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *a):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            with crm.lock:
                crm.served += 1
                record = {"method": self.command, "path": self.path, "headers": [[k, v] for k, v in self.headers.items()],
                          "body": base64.b64encode(body).decode(), "received_at": time.time()}
                lose = False
                if args.fail_always or crm.served <= args.fail_first:
                    status, answer = args.fail_status, ({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
                                                        if args.fail_status >= 500 or args.fail_status == 429 else {"error": "refused by the test"})
                    record["verdict"] = f"failed on purpose: {status}"
                else:
                    try:
                        made, answer = handle_provider(self.command, self.path, headers, body)
                        status = 200 if answer is not None else 204
                        record["verdict"] = "ok"
                        if made is not None:
                            crm.made[made] = crm.made.get(made, 0) + 1
                            lose = crm.made[made] <= {"create": args.lose_first_create, "note": args.lose_first_note}[made]
                    except Refused as refused:
                        status, answer = refused.status, refused.body
                        record["verdict"] = refused.problem
                        crm.problems.append({"path": self.path, "problem": refused.problem})
                with open(args.out, "a") as f:
                    f.write(json.dumps(record) + "\n")
                with open(args.state + ".tmp", "w") as f:
                    json.dump(crm.state(), f, ensure_ascii=False)
                os.replace(args.state + ".tmp", args.state)
            if args.delay:
                time.sleep(args.delay)
            if lose:
                # The work is done; the answer breaks off after its headers (a client would resend
                # a request whose kept-alive connection died before any answer came).
                self.close_connection = True
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "1000")
                    self.end_headers()
                    self.wfile.write(b'{"_embedded"')
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            payload = b"" if status == 204 else json.dumps(answer, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                if status != 204:
                    content_type = "application/problem+json" if args.provider == "amocrm" and status >= 400 else (
                        "application/hal+json" if args.provider == "amocrm" else "application/json")
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                if args.retry_after and status in (429, 503):
                    self.send_header("Retry-After", args.retry_after)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    with open(args.state, "w") as f:
        json.dump(crm.state(), f)
    print(f"READY {server.server_address[1]}", flush=True)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            threading.Thread(target=server.shutdown, daemon=True).start()

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
