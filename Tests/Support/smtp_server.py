#!/usr/bin/python3
"""A real SMTP server on loopback for the tests (aiosmtpd 1.4, Debian's python3-aiosmtpd).

Prints "READY <port>" once listening. Every accepted message is written as OUT/<n>.eml (the
exact DATA bytes) plus one JSON line in OUT/messages.jsonl. Behaviour can be changed while it
runs by writing JSON to OUT/control.json (read before each DATA reply), e.g.
{"fail_next": 2, "fail_code": 451} or {"reject": 550} or {"reject": null}.
The server exits when its standard input closes, so it never outlives the test process.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import threading
import time
from email.parser import BytesHeaderParser

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

REASONS = {
    421: "4.3.0 service not available, closing channel",
    450: "4.2.0 mailbox unavailable",
    451: "4.3.0 local error in processing",
    452: "4.3.1 insufficient system storage",
    550: "5.1.1 mailbox unavailable",
    552: "5.3.4 message too big",
    554: "5.7.1 transaction failed",
}


def reply(code):
    return f"{code} {REASONS.get(code, 'test server reply')}"


class RecordingHandler:
    def __init__(self, args):
        self.out = args.out
        self.fail_remaining = args.fail_first
        self.fail_code = args.fail_code
        self.reject = args.reject
        self.count = 0
        self.lock = threading.Lock()

    def apply_control(self):
        path = os.path.join(self.out, "control.json")
        try:
            with open(path, "rb") as f:
                control = json.load(f)
            os.unlink(path)
        except (FileNotFoundError, json.JSONDecodeError):
            return
        if "fail_next" in control:
            self.fail_remaining = int(control["fail_next"])
        if "fail_code" in control:
            self.fail_code = int(control["fail_code"])
        if "reject" in control:
            self.reject = control["reject"]

    async def handle_DATA(self, server, session, envelope):
        self.apply_control()
        if self.reject:
            return reply(int(self.reject))
        if self.fail_remaining > 0:
            self.fail_remaining -= 1
            return reply(self.fail_code)
        content = envelope.original_content
        with self.lock:
            self.count += 1
            n = self.count
            temp = os.path.join(self.out, f".{n}.eml.tmp")
            with open(temp, "wb") as f:
                f.write(content)
            os.rename(temp, os.path.join(self.out, f"{n}.eml"))
            headers = BytesHeaderParser().parsebytes(content)
            record = {
                "n": n,
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "message_id": headers.get("Message-ID"),
                "received_at": time.time(),
                "authenticated": bool(session.authenticated),
                "helo": session.host_name,
                "tls": session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                # The client's port tells connections apart (reuse shows as repeats).
                "peer_port": session.peer[1] if session.peer else None,
            }
            with open(os.path.join(self.out, "messages.jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
        return "250 2.0.0 OK queued as %d" % n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--starttls", action="store_true", help="require STARTTLS")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--auth", help="USER:PASS, required for every message")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-code", type=int, default=451)
    p.add_argument("--reject", type=int)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    if (args.starttls or args.implicit_tls) and context is None:
        p.error("--starttls and --implicit-tls need --tls-cert and --tls-key")

    authenticator = None
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword)
                  and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            # handled=False: aiosmtpd itself answers 235 or 535.
            return AuthResult(success=ok, handled=False)

    handler = RecordingHandler(args)

    def factory():
        return SMTP(
            handler,
            hostname="localhost",
            enable_SMTPUTF8=True,
            tls_context=context if args.starttls else None,
            require_starttls=args.starttls,
            authenticator=authenticator,
            auth_required=authenticator is not None,
            # Implicit TLS is TLS already; only a plain connection needs STARTTLS for AUTH.
            auth_require_tls=not args.implicit_tls,
        )

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, host=args.host, port=args.port,
        ssl=context if args.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            loop.call_soon_threadsafe(loop.stop)

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
