#!/usr/bin/env python3
"""Prepares a benchmark instance for the records benchmark, through the public API only.

Enrols the two demo officers, has officer one create an organisation, a remit and a join request
for an editor, officer two approve it, enrols the editor, signs the editor in (with a recovery
code, so no waiting for the next TOTP step) and creates one record with a 1 KiB body.

Usage: records_setup.py PORT INIT_OUTPUT_FILE [SESSIONS_FILE]
Prints: COOKIE CSRF RECORD_ID
With SESSIONS_FILE, four more editors of the same remit are made and signed in, and their
"COOKIE CSRF" written there one per line: a benchmark whose rounds each need an account of their
own (listing is capped per account) takes one each.
"""
import json
import re
import ssl
import subprocess
import sys
import urllib.parse
import urllib.request

PASSWORD = "a long and private passphrase"
port = int(sys.argv[1])
init_output = open(sys.argv[2]).read()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def call(method, path, body=None, session=None, expect=200):
    headers = {"Content-Type": "application/json"}
    if session:
        headers["Cookie"] = session[0]
        headers["X-CSRF-Token"] = session[1]
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"https://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, context=ctx) as r:
            status, text, cookie = r.status, r.read().decode(), r.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as e:
        status, text, cookie = e.code, e.read().decode(), ""
    if status != expect:
        sys.exit(f"records_setup: {method} {path} -> {status} {text}")
    return (json.loads(text) if text else {}), cookie


def enrol(username, token):
    start, _ = call("POST", "/api/v1/auth/enrol", {"token": token, "password": PASSWORD})
    query = urllib.parse.urlparse(start["totp_uri"]).query
    secret = urllib.parse.parse_qs(query)["secret"][0]
    code = subprocess.run(["oathtool", "--totp", "-b", secret], capture_output=True,
                          text=True, check=True).stdout.strip()
    done, _ = call("POST", "/api/v1/auth/enrol/confirm", {"token": token, "code": code})
    return done["recovery_codes"]


def sign_in(username, recovery_code):
    login, _ = call("POST", "/api/v1/auth/login", {"username": username, "password": PASSWORD})
    mfa, cookie = call("POST", "/api/v1/auth/mfa",
                       {"challenge": login["challenge"], "code": recovery_code})
    return (cookie.split(";")[0], mfa["csrf_token"])


officers = {}
for user in ("demo.officer.one", "demo.officer.two"):
    token = re.search(user.replace(".", r"\.") + r"\s+enrolment token ([0-9a-f]{64})",
                      init_output).group(1)
    officers[user] = sign_in(user, enrol(user, token)[0])
one, two = officers["demo.officer.one"], officers["demo.officer.two"]
cert = {"reference": "BENCH-1", "expires_on": "2099-01-01"}
org, _ = call("POST", "/api/v1/admin/orgs",
              {"name": "Bench Ltd", "iso27001": cert, "cyber_essentials_plus": cert},
              one, expect=201)
call("POST", f"/api/v1/admin/orgs/{org['id']}/remits", {"name": "bench"}, one, expect=201)


def make_editor(username):
    req, _ = call("POST", "/api/v1/admin/join-requests",
                  {"org": org["id"], "username": username,
                   "person": {"name": "Bench Editor", "email": f"{username}@example.org"},
                   "kind": "standard", "roles": ["editor"], "remits": ["bench"],
                   "grants": ["PERSONAL"], "bpss_verified_on": "2026-01-01",
                   "bpss_verified_by": "bench"}, one, expect=201)
    approved, _ = call("POST", f"/api/v1/admin/join-requests/{req['id']}/approve", None, two)
    return sign_in(username, enrol(username, approved["enrolment_token"])[0])


editor = make_editor("bench.editor")
record, _ = call("POST", "/api/v1/records",
                 {"remit": "bench", "title": "Benchmark record", "classification": "OFFICIAL",
                  "descriptors": ["PERSONAL"], "body": {"text": "x" * 1000}},
                 editor, expect=201)
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as f:
        for n in range(1, 5):
            session = make_editor(f"bench.editor{n}")
            f.write(f"{session[0]} {session[1]}\n")
print(editor[0], editor[1], record["id"])
