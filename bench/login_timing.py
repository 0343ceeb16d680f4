#!/usr/bin/env python3
"""Sign-in timing: does a wrong password take longer for a username that exists?

Alternates wrong-password sign-ins for an existing username and for unknown ones, each attempt on a
fresh TLS connection from its own loopback address (127.0.x.y), so no throttle applies to it, and
prints both medians and their difference. The service is built to do the same work on both paths
(tests/identity/auth_service_test.cc counts it); this measures what an outsider would see.

Usage: login_timing.py PORT KNOWN_USERNAME [ATTEMPTS_EACH]
"""
import http.client
import json
import ssl
import random
import statistics
import sys
import time

port = int(sys.argv[1])
known = sys.argv[2]
attempts = int(sys.argv[3]) if len(sys.argv) > 3 else 200
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def attempt(username, source):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, source_address=(source, 0),
                                       timeout=30)
    conn.connect()  # the handshake is not part of what is timed
    body = json.dumps({"username": username, "password": "not the password at all"})
    start = time.perf_counter()
    conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    took = time.perf_counter() - start
    conn.close()
    return resp.status, took


times = {"known": [], "unknown": []}
statuses = {"known": {}, "unknown": {}}
# Shuffled, not alternated: strict alternation lines each kind up with one of the server's worker
# threads, and their speeds differ on a shared machine (that showed as +-15 ms either way).
order = ["known", "unknown"] * attempts
random.Random(20261201).shuffle(order)
for i, kind in enumerate(order):
    name = known if kind == "known" else f"nobody.{i:05d}"
    source = f"127.0.{1 + i // 250}.{1 + i % 250}"
    status, took = attempt(name, source)
    times[kind].append(took * 1000)
    statuses[kind][status] = statuses[kind].get(status, 0) + 1

def quartiles(xs):
    q = statistics.quantiles(xs, n=4)
    return q[0], q[1], q[2]


k, u = statistics.median(times["known"]), statistics.median(times["unknown"])
print(f"login timing: wrong password, each attempt from its own address, {attempts} each, shuffled")
for label, kind in (("existing username", "known"), ("unknown username ", "unknown")):
    q1, q2, q3 = quartiles(times[kind])
    print(f"  {label}: median {q2:.2f} ms  (quartiles {q1:.2f} .. {q3:.2f}; statuses "
          f"{statuses[kind]})")
print(f"  difference existing - unknown = {k - u:+.2f} ms")
