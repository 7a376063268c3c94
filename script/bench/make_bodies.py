#!/usr/bin/env python3
"""One booking body per free consultant-slot of webd's offer, each with a fresh solved proof of
work, one JSON object a line: `make_bodies.py http://127.0.0.1:8090 3000 > bodies.jsonl`."""
import hashlib, json, sys, urllib.request

base, count = sys.argv[1], int(sys.argv[2])
slots = json.load(urllib.request.urlopen(base + "/api/v1/slots?days=14"))["slots"]
bodies = []
for slot in slots:
    for _ in range(slot["free"]):
        if len(bodies) == count:
            break
        n = len(bodies)
        c = json.load(urllib.request.urlopen(base + "/api/v1/challenge"))
        number = next(i for i in range(c["max_number"] + 1)
                      if hashlib.sha256((c["salt"] + str(i)).encode()).hexdigest() == c["challenge"])
        bodies.append(json.dumps({
            "start": slot["start"], "consent": True, "time_zone": "Europe/Berlin", "locale": "en",
            "contact": {"name": f"Load {n}", "email": f"load{n}@example.com", "phone": f"+7916{n:07d}"},
            "proof_of_work": {"challenge": c["challenge"], "salt": c["salt"], "signature": c["signature"], "number": number}}))
print("\n".join(bodies))
