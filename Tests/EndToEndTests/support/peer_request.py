#!/usr/bin/env python3
"""Sends one request to a daemon's ROUTER socket and prints the answer as JSON.

usage: peer_request.py ENDPOINT TYPE BODY_JSON [USER]

The access tests run it as another OS user (setpriv), so the daemon sees a peer that is not
itself: the answer shows what that peer may do. Prints {"type": ..., "body": ...}; exits 1 if
no answer comes within 20 s.
"""
import datetime
import json
import sys
import uuid

import zmq

endpoint, message_type, body = sys.argv[1], sys.argv[2], sys.argv[3]
header = {
    "id": str(uuid.uuid4()),
    "sent_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
}
if len(sys.argv) > 4:
    header["user"] = sys.argv[4]

context = zmq.Context()
socket = context.socket(zmq.DEALER)
socket.setsockopt(zmq.LINGER, 0)
socket.connect(endpoint)
socket.send_multipart([b"", b"booking/1", message_type.encode(), json.dumps(header).encode(), body.encode()])
if not socket.poll(20000):
    sys.exit(1)
frames = socket.recv_multipart()
# [delimiter, signature, type, header, body]
print(json.dumps({"type": frames[2].decode(), "body": json.loads(frames[4])}))
