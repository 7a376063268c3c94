#!/usr/bin/python3
"""Google Calendar's CalDAV endpoint and OAuth 2 token endpoint, on loopback, for the tests.

What it checks is what Google documents ("Using OAuth 2.0 for Server to Server Applications",
"Using OAuth 2.0 for Web Server Applications", the CalDAV API guide) and RFC 7523 / RFC 6749:

POST /token, application/x-www-form-urlencoded:
  - grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT: the JWT's header is
    {"alg":"RS256","typ":"JWT"}; its claims are iss (the service account), scope (with the
    calendar scope), aud (this endpoint, as the key file's token_uri names it), iat (now, give or
    take a minute), exp (after now, at most an hour after iat) and sub (a user of the domain);
    the signature is verified with the public half of the key this server made;
  - grant_type=refresh_token with client_id, client_secret and refresh_token.
  The answer is {"access_token", "expires_in", "token_type": "Bearer"}, or 400/401 with
  {"error", "error_description"}.
/caldav/v2/CALENDAR_ID/events/...: needs "Authorization: Bearer TOKEN" with a token it issued
  and that has not expired (401 otherwise), then is Radicale's, the calendar of the token's user.
Any other path is Radicale's with basic authentication: the tests' own way to write calendars.

At start it makes a service account key and writes, under --directory, service-account.json
(Google's key file format), service-account.pub.pem and authorized-user.json (a refresh token
of --refresh-user), with this server's /token as token_uri. Each token request and each CalDAV
request is appended to tokens.jsonl. While the file "revoked" exists under --directory, every
grant is refused and every token issued is rejected, as after a key is deleted or a grant revoked.
Prints "READY <port>" and exits when its standard input closes.
"""
import argparse
import base64
import json
import os
import secrets
import sys
import threading
import time
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from caldav_server import radicale_application, serve  # noqa: E402

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PREFIX = "/caldav/v2"


def unpadded_base64url(text):
    if "=" in text:
        raise ValueError("padded base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Google:
    def __init__(self, args):
        self.args = args
        self.users = dict(pair.split(":", 1) for pair in args.users.split(","))
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.client_id = "1234567890-tests.apps.googleusercontent.com"
        self.client_secret = secrets.token_urlsafe(18)
        self.refresh_token = "1//" + secrets.token_urlsafe(32)
        self.lock = threading.Lock()
        # token -> (user, expires at, serial); subject -> expiry of the last token issued.
        self.tokens = {}
        self.last_expiry = {}
        self.serial = 0
        self.radicale = radicale_application(os.path.join(args.directory, "radicale"), args.users)

    def write_credentials(self, port):
        self.token_uri = "http://127.0.0.1:%d/token" % port
        pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
        self.write("service-account.json", json.dumps({
            "type": "service_account", "project_id": "booking-tests", "private_key_id": secrets.token_hex(20),
            "private_key": pem, "client_email": self.args.service_account, "client_id": "109876543210987654321",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "universe_domain": "googleapis.com"}, indent=2))
        self.write("service-account.pub.pem", self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
        self.write("authorized-user.json", json.dumps({
            "type": "authorized_user", "client_id": self.client_id, "client_secret": self.client_secret,
            "refresh_token": self.refresh_token, "token_uri": self.token_uri}, indent=2))

    def write(self, name, text):
        with open(os.path.join(self.args.directory, name), "w") as f:
            f.write(text)

    def record(self, entry):
        with self.lock, open(os.path.join(self.args.directory, "tokens.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")

    def revoked(self):
        return os.path.exists(os.path.join(self.args.directory, "revoked"))

    # The token endpoint

    def token(self, environ):
        if environ["REQUEST_METHOD"] != "POST":
            return 405, {"error": "invalid_request", "error_description": "POST only"}, {}
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            return 400, {"error": "invalid_request", "error_description": "Content-Type must be application/x-www-form-urlencoded"}, {}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            form = parse_qs(environ["wsgi.input"].read(length).decode("ascii"), strict_parsing=True)
        except ValueError as error:
            return 400, {"error": "invalid_request", "error_description": "malformed form: %s" % error}, {}
        if any(len(values) != 1 for values in form.values()):
            return 400, {"error": "invalid_request", "error_description": "a field given twice"}, {}
        form = {name: values[0] for name, values in form.items()}
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            user, error, claims = self.check_assertion(form)
        elif grant == "refresh_token":
            user, error, claims = self.check_refresh(form)
        else:
            user, error, claims = None, (400, "unsupported_grant_type", "Invalid grant_type: %s" % grant), None
        entry = {"kind": "token", "grant_type": grant, "at": time.time(), "claims": claims,
                 "assertion": form.get("assertion"), "subject": user}
        if error:
            status, code, description = error
            entry.update(granted=False, error=code, error_description=description)
            self.record(entry)
            return status, {"error": code, "error_description": description}, {}
        now = time.time()
        access = "ya29." + secrets.token_urlsafe(40)
        with self.lock:
            self.serial += 1
            serial = self.serial
            previous = self.last_expiry.get(user)
            self.tokens[access] = (user, now + self.args.token_lifetime, serial)
            self.last_expiry[user] = now + self.args.token_lifetime
        entry.update(granted=True, serial=serial, previous_remaining=None if previous is None else previous - now)
        self.record(entry)
        return 200, {"access_token": access, "expires_in": self.args.token_lifetime, "token_type": "Bearer",
                     "scope": CALENDAR_SCOPE}, {"Cache-Control": "no-store"}

    def check_assertion(self, form):
        if set(form) != {"grant_type", "assertion"}:
            return None, (400, "invalid_request", "fields other than grant_type and assertion: %s" % sorted(form)), None
        parts = form["assertion"].split(".")
        if len(parts) != 3:
            return None, (400, "invalid_grant", "Invalid JWT: not header.claims.signature"), None
        try:
            header = json.loads(unpadded_base64url(parts[0]))
            claims = json.loads(unpadded_base64url(parts[1]))
            signature = unpadded_base64url(parts[2])
        except ValueError as error:
            return None, (400, "invalid_grant", "Invalid JWT: %s" % error), None
        if header != {"alg": "RS256", "typ": "JWT"}:
            return None, (400, "invalid_grant", "Invalid JWT header: %s" % header), claims
        try:
            self.key.public_key().verify(signature, (parts[0] + "." + parts[1]).encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return None, (400, "invalid_grant", "Invalid JWT Signature."), claims
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        problems = []
        if claims.get("iss") != self.args.service_account:
            problems.append("iss is not the service account")
        if CALENDAR_SCOPE not in str(claims.get("scope", "")).split(" "):
            problems.append("scope lacks %s" % CALENDAR_SCOPE)
        if claims.get("aud") != self.token_uri:
            problems.append("aud is not %s" % self.token_uri)
        if not isinstance(iat, int) or not isinstance(exp, int):
            problems.append("iat and exp must be integers")
        elif abs(iat - now) > 60 or exp <= now or exp - iat > 3600 or exp <= iat:
            problems.append("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe")
        if problems:
            return None, (400, "invalid_grant", "; ".join(problems)), claims
        if self.revoked():
            return None, (400, "invalid_grant", "Invalid JWT Signature."), claims
        if claims.get("sub") not in self.users:
            return None, (400, "invalid_grant", "Invalid email or User ID"), claims
        return claims["sub"], None, claims

    def check_refresh(self, form):
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return None, (401, "invalid_client", "The OAuth client was not found."), None
        if form.get("refresh_token") != self.refresh_token or self.revoked():
            return None, (400, "invalid_grant", "Token has been expired or revoked."), None
        return self.args.refresh_user, None, None

    # The CalDAV endpoint

    def caldav(self, environ, start_response):
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else None
        with self.lock:
            found = self.tokens.get(token)
        valid = found is not None and found[1] > time.time() and not self.revoked()
        self.record({"kind": "caldav", "method": environ["REQUEST_METHOD"], "at": time.time(),
                     "serial": found[2] if found else None, "accepted": valid})
        if not valid:
            start_response("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"'),
                                                ("Content-Type", "text/plain"), ("Content-Length", "13")])
            return [b"Unauthorized\n"]
        if environ["REQUEST_METHOD"] == "MKCALENDAR":
            start_response("405 Method Not Allowed", [("Content-Length", "0")])
            return [b""]
        user = found[0]
        environ = dict(environ)
        environ["SCRIPT_NAME"] = PREFIX
        environ["PATH_INFO"] = environ["PATH_INFO"][len(PREFIX):]
        credentials = "%s:%s" % (user, self.users[user])
        environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        return self.radicale(environ, start_response)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/token":
            status, body, headers = self.token(environ)
            payload = json.dumps(body).encode()
            reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 405: "Method Not Allowed"}[status]
            start_response("%d %s" % (status, reason), [("Content-Type", "application/json; charset=utf-8"),
                                                        ("Content-Length", str(len(payload)))] + list(headers.items()))
            return [payload]
        if path.startswith(PREFIX + "/"):
            return self.caldav(environ, start_response)
        return self.radicale(environ, start_response)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--directory", required=True)
    p.add_argument("--users", required=True, help="user:password,... (the domain's users, owners of the calendars)")
    p.add_argument("--refresh-user", required=True, help="whose refresh token authorized-user.json holds")
    p.add_argument("--service-account", default="calsyncd@booking-tests.iam.gserviceaccount.com")
    p.add_argument("--token-lifetime", type=int, default=3600)
    args = p.parse_args()
    google = Google(args)
    serve(google, args.port, before_ready=google.write_credentials)


if __name__ == "__main__":
    main()
