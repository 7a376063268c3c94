#!/usr/bin/python3
"""A real HTTP server on loopback for the tests (Python's http.server).

Prints "READY <port>" once listening. Every request is appended to --out as one JSON line
(method, path, headers, body base64). Answers follow --statuses (the last one repeats), each
with --retry-after if given (on 429 and 503) and --delay seconds before answering.
The server exits when its standard input closes, so it never outlives the test process.
"""
import argparse
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--statuses", default="200")
    p.add_argument("--retry-after")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--body", default='{"ok":true}')
    args = p.parse_args()
    statuses = [int(s) for s in args.statuses.split(",") if s]
    lock = threading.Lock()
    state = {"served": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *a):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            record = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": base64.b64encode(body).decode(),
                "received_at": time.time(),
            }
            with lock:
                index = min(state["served"], len(statuses) - 1)
                state["served"] += 1
                with open(args.out, "a") as f:
                    f.write(json.dumps(record) + "\n")
            status = statuses[index]
            if args.delay:
                time.sleep(args.delay)
            # 204 and 304 carry no body: bytes written anyway would corrupt the kept-alive connection.
            payload = b"" if status in (204, 304) else args.body.encode()
            try:
                self.send_response(status)
                if status not in (204, 304):
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                if args.retry_after and status in (429, 503):
                    self.send_header("Retry-After", args.retry_after)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
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
