#!/usr/bin/env python3
"""Follow bookingd's event stream without missing an event (pyzmq).

The recipe of docs/protocol.md, "Following the stream":
  1. subscribe to the PUB socket first, so nothing published from now on is lost;
  2. ask bookingd (a REQ socket to its ROUTER) to replay the events after the last sequence
     you applied, until you hold its newest one;
  3. apply what arrives on the subscription: skip what you have, apply the next sequence,
     and replay again on a jump, or after a quiet moment (the last event may have been dropped);
  4. mind the epoch: numbers of another epoch (a restored database) are not ours to skip by,
     so this printer starts again from the new epoch's first event.
With several bookingd instances, give --events once per instance: only one publishes at a time,
and what two send around a handover is skipped like any event already applied.

Prints one JSON object per event on stdout. Usage:
  subscriber.py --events ipc://var/run/bookingd-events.ipc --commands ipc://var/run/bookingd.ipc [--since 0] [--count N]
"""
import argparse
import json
import sys
import time
import uuid
from datetime import datetime, timezone

import zmq

SIGNATURE = b"booking/1"


def request(context, endpoint, msg_type, body, timeout_ms=2000, attempts=3):
    """One request with Lazy Pirate retries: a fresh REQ socket per attempt."""
    for _ in range(attempts):
        socket = context.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(endpoint)
        header = {"id": str(uuid.uuid4()), "sent_at": datetime.now(timezone.utc).isoformat()}
        # REQ adds the empty delimiter frame itself.
        socket.send_multipart([SIGNATURE, msg_type.encode(), json.dumps(header).encode(), json.dumps(body).encode()])
        if socket.poll(timeout_ms, zmq.POLLIN):
            frames = socket.recv_multipart()
            socket.close()
            signature, reply_type, _header, reply_body = frames
            if signature != SIGNATURE:
                raise RuntimeError("unexpected protocol %r" % signature)
            payload = json.loads(reply_body)
            if reply_type == b"error":
                raise RuntimeError("%s: %s" % (payload["code"], payload["message"]))
            return payload
        socket.close()
    raise RuntimeError("bookingd did not answer at %s" % endpoint)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", required=True, action="append", help="bookingd's PUB endpoint (once per instance)")
    parser.add_argument("--commands", required=True, help="bookingd's ROUTER endpoint (for replay)")
    parser.add_argument("--since", type=int, default=0, help="the last sequence already applied")
    parser.add_argument("--count", type=int, default=0, help="stop after this many events (0: never)")
    parser.add_argument("--timeout", type=float, default=0, help="give up after this many seconds (0: never)")
    args = parser.parse_args()

    context = zmq.Context()
    subscriber = context.socket(zmq.SUB)
    subscriber.setsockopt(zmq.SUBSCRIBE, b"booking.")
    for endpoint in args.events:
        subscriber.connect(endpoint)

    state = {"last": args.since, "printed": 0, "epoch": None}
    deadline = time.monotonic() + args.timeout if args.timeout else None

    def apply(event):
        if event["sequence"] != state["last"] + 1:
            return
        print(json.dumps(event, ensure_ascii=False), flush=True)
        state["last"] = event["sequence"]
        state["printed"] += 1

    def catch_up():
        while True:
            reply = request(context, args.commands, "replay", {"after": state["last"]})
            epoch = reply.get("epoch")
            if epoch and state["epoch"] and epoch != state["epoch"]:
                print("bookingd's database has a new epoch: starting again from its first event", file=sys.stderr)
                state["last"] = 0
                state["epoch"] = epoch
                continue
            if epoch:
                state["epoch"] = epoch
            for event in reply["events"]:
                apply(event)
            if not reply["events"] or state["last"] >= reply["last_sequence"]:
                return

    def done():
        return (args.count and state["printed"] >= args.count) or (deadline and time.monotonic() > deadline)

    catch_up()
    while not done():
        if subscriber.poll(1000, zmq.POLLIN):
            topic, signature, header, body = subscriber.recv_multipart()
            if signature != SIGNATURE:
                continue
            event = json.loads(body)
            epoch = json.loads(header).get("epoch")
            if epoch and state["epoch"] and epoch != state["epoch"]:
                catch_up()
                continue
            if event["sequence"] <= state["last"]:
                continue
            if event["sequence"] == state["last"] + 1:
                apply(event)
            else:
                catch_up()
        else:
            catch_up()
    subscriber.close()
    context.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
