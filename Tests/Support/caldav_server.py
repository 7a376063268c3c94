#!/usr/bin/python3
"""A real CalDAV server on loopback for the tests: Radicale (Debian's python3-radicale), run
inside this process behind a threading WSGI server.

Basic authentication against --users (user:password,...; the htpasswd file is written in
plain text under --storage), each user owning the collections under /<user>/. Prints
"READY <port>" once listening and exits when its standard input closes, so it never outlives the
test process. --storage may be given again after a restart to keep the calendars.
"""
import argparse
import os
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import radicale
from radicale import config


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def radicale_application(storage, users):
    """Radicale serving --storage, with plain-text htpasswd users ("user:password,...")."""
    os.makedirs(storage, exist_ok=True)
    path = os.path.join(storage, "users")
    with open(path, "w") as f:
        for pair in users.split(","):
            f.write(pair + "\n")
    settings = os.path.join(storage, "radicale.conf")
    with open(settings, "w") as f:
        f.write(
            "[auth]\ntype = htpasswd\nhtpasswd_filename = %s\nhtpasswd_encryption = plain\n"
            "[rights]\ntype = owner_only\n"
            "[storage]\nfilesystem_folder = %s\n"
            "[logging]\nlevel = warning\n" % (path, os.path.join(storage, "collections")))
    return radicale.Application(config.load([(settings, False)]))


def serve(application, port, before_ready=None):
    """Serves `application` on 127.0.0.1:port, prints READY and returns when stdin closes.
    `before_ready(port)` runs once the port is known."""
    server = make_server("127.0.0.1", port, application, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if before_ready:
        before_ready(server.server_address[1])
    print("READY %d" % server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--storage", required=True)
    p.add_argument("--users", required=True)
    args = p.parse_args()
    serve(radicale_application(args.storage, args.users), args.port)


if __name__ == "__main__":
    main()
