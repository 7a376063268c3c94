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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--storage", required=True)
    p.add_argument("--users", required=True)
    args = p.parse_args()
    os.makedirs(args.storage, exist_ok=True)
    users = os.path.join(args.storage, "users")
    with open(users, "w") as f:
        for pair in args.users.split(","):
            f.write(pair + "\n")
    settings = os.path.join(args.storage, "radicale.conf")
    with open(settings, "w") as f:
        f.write(
            "[auth]\ntype = htpasswd\nhtpasswd_filename = %s\nhtpasswd_encryption = plain\n"
            "[rights]\ntype = owner_only\n"
            "[storage]\nfilesystem_folder = %s\n"
            "[logging]\nlevel = warning\n" % (users, os.path.join(args.storage, "collections")))
    configuration = config.load([(settings, False)])
    application = radicale.Application(configuration)
    server = make_server("127.0.0.1", args.port, application, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY %d" % server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
