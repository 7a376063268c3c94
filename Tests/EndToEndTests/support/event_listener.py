"""A subscriber to bookingd's events written from docs/protocol.md alone, as @chat or any
system we don't own would write one.

    python3 event_listener.py <runtime directory> <events to wait for> <seconds at most>

Subscribes to every topic of the PUB endpoint, prints each event's body (frame 3) as one JSON
line, and exits once it has seen that many events or the time is up. Prints `ready` first, once
subscribed, so the caller knows no event will be missed from then on.
"""
import json
import sys
import time

import zmq

run, wanted, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
context = zmq.Context()
subscriber = context.socket(zmq.SUB)
subscriber.setsockopt(zmq.LINGER, 0)
subscriber.setsockopt(zmq.SUBSCRIBE, b"")
subscriber.connect(f"ipc://{run}/bookingd-events.ipc")
# A SUB socket's subscription reaches the publisher a moment after connect (the slow joiner).
time.sleep(0.5)
print("ready", flush=True)
deadline = time.monotonic() + seconds
seen = 0
while seen < wanted and time.monotonic() < deadline:
    if not subscriber.poll(200):
        continue
    frames = subscriber.recv_multipart()
    if len(frames) != 4 or frames[1] != b"booking/1":
        print("FAIL not [topic, signature, header, body]:", frames, flush=True)
        sys.exit(1)
    body = json.loads(frames[3])
    print(json.dumps(body, ensure_ascii=False), flush=True)
    seen += 1
sys.exit(0 if seen >= wanted else 3)
