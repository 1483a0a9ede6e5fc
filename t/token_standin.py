#!/usr/bin/python3
"""A stand-in for the Microsoft identity platform's token endpoint, for the
token broker's tests (t/2NN-broker*.t).

Usage: token_standin.py PORT

Listens on 127.0.0.1:PORT, HTTP/1.1 with keep-alive, prints "ready" once it
accepts connections.  Python 3 standard library only: RS256 and PS256
signatures are verified with pow() on the certificate's key, which a small
DER reader takes from the PEM certificate.

POST /{tenant}/oauth2/v2.0/token checks what Entra ID checks for the client
credentials grant, in this order, and answers the first failure with an
Entra-shaped error:

  {"error":..,"error_description":"AADSTSn: ...\\r\\nTrace ID: ...\\r\\n
   Correlation ID: ...\\r\\nTimestamp: ...","error_codes":[n],
   "timestamp":..,"trace_id":..,"correlation_id":..,"error_uri":..}

  1. the tenant is configured: 400 invalid_request AADSTS90002;
  2. POST: 400 invalid_request AADSTS900561;
  3. Content-Type application/x-www-form-urlencoded, a strictly encoded
     form without repeated fields: 400 invalid_request AADSTS900144 /
     AADSTS9000411 (repeated);
  4. grant_type present (AADSTS900144) and client_credentials: 400
     unsupported_grant_type AADSTS70003;
  5. client_id present and registered in the tenant: 400
     unauthorized_client AADSTS700016;
  6. scope present, one RESOURCE/.default (400 invalid_scope
     AADSTS1002012), the configured resource (400 invalid_resource
     AADSTS500011);
  7. the credential: neither client_secret nor client_assertion: 401
     invalid_client AADSTS7000218; both: 400 invalid_request AADSTS9002313
     (the stand-in's choice); client_secret wrong, or the client has none:
     401 invalid_client AADSTS7000215; client_assertion_type not
     urn:ietf:params:oauth:client-assertion-type:jwt-bearer: 400
     invalid_request AADSTS900144; the assertion:
       - three base64url parts without padding, JSON header and claims
         (401 invalid_client AADSTS50027 otherwise);
       - alg RS256 or PS256, typ JWT if present, x5t and/or x5t#S256 that
         name a certificate registered for the client (every one given
         must match the same one): 401 invalid_client AADSTS700027;
       - the signature, with that certificate's key: AADSTS700027;
       - aud == the URL this request was sent to (http://127.0.0.1:PORT/
         {tenant}/oauth2/v2.0/token; Entra ID: its own): AADSTS700023
         (the stand-in's choice of code);
       - iss == sub == client_id: AADSTS700021;
       - exp in the future and at most 1 hour after nbf/iat, nbf not in
         the future (5 minutes of clock skew allowed): AADSTS700024;
       - jti present, never seen before: AADSTS50027 (the stand-in's
         choice; Entra ID's replay answer is not documented).
  8. success: 200 {"token_type":"Bearer","expires_in":N,
     "ext_expires_in":N,"access_token":"eyJ..."} with Cache-Control:
     no-store; N is the configured expires_in (a number, or a string of
     digits when configured as one).

Every response has x-ms-request-id, and client-request-id when the request
asked for it (return-client-request-id: true).

Control endpoints (JSON):
  GET    /_health     200
  PUT    /_config     {"tenants":{TENANT:{CLIENT_ID:{"secret":S} or
                        {"certificate":PEM} or {"certificates":[PEM,..]},
                        ...}}, "expires_in":N or "N",
                        "resource":"https://graph.microsoft.com"}
                      replaces the configuration (a client may have
                      several certificates, as an app registration may)
  POST   /_queue      a canned answer for the next token request(s), after
                      the checks ran (they are still recorded):
                        {"status":503,"json":{...}|"body":"...",
                         "headers":{...}}        a whole answer
                        {"status":400,"aad_error":"invalid_client",
                         "code":7000215,"description":"..."}  Entra-shaped
                        {"expires_in":5 or "5","access_token":"..."}
                                                 a success with these
                        {"delay":2.5}            answer after 2.5 s
                        {"hang":true}            never answer; the
                                                 connection stays open
                                                 until the client leaves
                        "tenant":T               only for tenant T
                        "count":N                for N requests (1)
  DELETE /_queue      forgets queued answers
  GET    /_records    what was received, oldest first: time (Unix s,
                      float, when the request arrived), done (when it was
                      answered), tenant, path, method, headers ([name,
                      value] pairs), form ({name: value}), status, error,
                      codes, checks (the check that failed, if any),
                      canned, token (the one issued), assertion ({"header",
                      "claims"} when there was one)
  DELETE /_records
"""

import base64
import hashlib
import json
import os
import random
import re
import select
import signal
import socket
import string
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_to_bytes

LOCK = threading.Lock()
STATE = {
    "config": {"tenants": {}, "expires_in": 3599,
               "resource": "https://graph.microsoft.com"},
    "queue": [],
    "records": [],
    "jtis": set(),
    "issued": 0,
}
STOP = threading.Event()

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


class AadError(Exception):
    def __init__(self, status, error, code, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.code = code
        self.description = description


# ----------------------------------------------------------------------
# base64url, DER, RSA

def b64url_decode(s):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s) or len(s) % 4 == 1:
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def der_read(b, i):
    """(tag, content start, content end) of the TLV at b[i]"""
    tag = b[i]
    n = b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, i, i + n


def der_children(b, start, end):
    out = []
    i = start
    while i < end:
        tag, s, e = der_read(b, i)
        out.append((tag, s, e))
        i = e
    return out


def cert_info(pem):
    """DER, x5t, x5t#S256, (n, e) of the first certificate of a PEM text"""
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                  pem, re.S)
    der = base64.b64decode("".join(m.group(1).split()))
    _, s, e = der_read(der, 0)                      # Certificate
    tbs = der_children(der, s, e)[0]                # TBSCertificate
    fields = der_children(der, tbs[1], tbs[2])
    if fields[0][0] == 0xA0:                        # [0] version
        fields = fields[1:]
    spki = fields[5]                                # SubjectPublicKeyInfo
    _, bits = der_children(der, spki[1], spki[2])
    # BIT STRING: the unused-bits byte, then RSAPublicKey
    _, ks, ke = der_read(der, bits[1] + 1)
    n, e = der_children(der, ks, ke)
    modulus = int.from_bytes(der[n[1]:n[2]], "big")
    exponent = int.from_bytes(der[e[1]:e[2]], "big")
    return {
        "x5t": b64url(hashlib.sha1(der).digest()),
        "x5t#S256": b64url(hashlib.sha256(der).digest()),
        "n": modulus,
        "e": exponent,
    }


def mgf1(seed, n):
    out = b""
    c = 0
    while len(out) < n:
        out += hashlib.sha256(seed + c.to_bytes(4, "big")).digest()
        c += 1
    return out[:n]


def rsa_verify(alg, key, data, sig):
    n, e = key["n"], key["e"]
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    m = pow(int.from_bytes(sig, "big"), e, n)
    h = hashlib.sha256(data).digest()

    if alg == "RS256":
        em = m.to_bytes(k, "big")
        t = SHA256_PREFIX + h
        want = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
        return em == want

    # PS256: EMSA-PSS-VERIFY, SHA-256, MGF1-SHA-256, a 32-byte salt
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    if m.bit_length() > em_bits:
        return False
    em = m.to_bytes(em_len, "big")
    hlen = 32
    if em_len < 2 * hlen + 2 or em[-1] != 0xBC:
        return False
    masked, hh = em[:em_len - hlen - 1], em[em_len - hlen - 1:-1]
    top = 8 * em_len - em_bits
    if top and masked[0] >> (8 - top):
        return False
    db = bytes(a ^ b for a, b in zip(masked, mgf1(hh, len(masked))))
    db = bytes([db[0] & (0xFF >> top)]) + db[1:]
    ps_len = em_len - 2 * hlen - 2
    if db[:ps_len] != b"\x00" * ps_len or db[ps_len] != 1:
        return False
    salt = db[ps_len + 1:]
    if len(salt) != hlen:
        return False
    return hashlib.sha256(b"\x00" * 8 + h + salt).digest() == hh


# ----------------------------------------------------------------------
# the checks

def parse_form(body):
    """{name: value} of a strictly encoded form; AadError otherwise"""
    form = {}
    if not body:
        return form
    for pair in body.split(b"&"):
        if b"=" not in pair:
            raise AadError(400, "invalid_request", 900144,
                           "The request body is not a valid form.")
        name, value = pair.split(b"=", 1)
        for part in (name, value):
            if not re.fullmatch(rb"(?:[A-Za-z0-9._~*+-]|%[0-9A-Fa-f]{2})*",
                                part):
                raise AadError(400, "invalid_request", 900144,
                               "The request body is not properly encoded.")
        name = unquote_to_bytes(name.replace(b"+", b" ")).decode()
        value = unquote_to_bytes(value.replace(b"+", b" ")).decode()
        if name in form:
            raise AadError(400, "invalid_request", 9000411,
                           "The request is not properly formatted. The "
                           "parameter '%s' is duplicated." % name)
        form[name] = value
    return form


def required(form, name):
    if not form.get(name):
        raise AadError(400, "invalid_request", 900144,
                       "The request body must contain the following "
                       "parameter: '%s'." % name)
    return form[name]


def check_assertion(rec, form, client, client_id, aud):
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise AadError(400, "invalid_request", 900144,
                       "The request body must contain the following "
                       "parameter: 'client_assertion_type'.")
    jwt = form["client_assertion"]
    try:
        h64, p64, s64 = jwt.split(".")
        header = json.loads(b64url_decode(h64))
        claims = json.loads(b64url_decode(p64))
        sig = b64url_decode(s64)
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("not objects")
    except ValueError:
        raise AadError(401, "invalid_client", 50027,
                       "JWT token is invalid or malformed.")
    rec["assertion"] = {"header": header, "claims": claims}

    alg = header.get("alg")
    if alg not in ("RS256", "PS256") or header.get("typ", "JWT") != "JWT":
        raise AadError(401, "invalid_client", 700027,
                       "Client assertion contains an invalid signature. "
                       "[Reason - The algorithm is not supported.]")
    given = [k for k in ("x5t", "x5t#S256") if k in header]
    cert = None
    for c in client.get("_certs", []):
        if given and all(header[k] == c[k] for k in given):
            cert = c
    if cert is None:
        raise AadError(401, "invalid_client", 700027,
                       "The certificate with identifier used to sign the "
                       "client assertion is not registered on application.")
    if not rsa_verify(alg, cert, (h64 + "." + p64).encode(), sig):
        raise AadError(401, "invalid_client", 700027,
                       "Client assertion contains an invalid signature.")
    if claims.get("aud") != aud:
        raise AadError(401, "invalid_client", 700023,
                       "Client assertion audience claim does not match "
                       "Realm issuer.")
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise AadError(401, "invalid_client", 700021,
                       "Client assertion application identifier doesn't "
                       "match 'client_id' parameter.")
    now = time.time()
    exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
    if (not isinstance(exp, int) or not isinstance(nbf, int)
            or exp <= now - 300 or nbf > now + 300 or exp - nbf > 3600):
        raise AadError(401, "invalid_client", 700024,
                       "Client assertion is not within its valid time "
                       "range.")
    jti = claims.get("jti")
    with LOCK:
        seen = jti in STATE["jtis"]
        STATE["jtis"].add(jti)
    if not isinstance(jti, str) or not jti or seen:
        raise AadError(401, "invalid_client", 50027,
                       "JWT token is invalid or malformed. [Reason - the "
                       "jti is missing or was used before.]")


def check(rec, method, tenant, headers, body, aud):
    """the Entra ID checks, in order: returns the client's entry"""
    with LOCK:
        cfg = STATE["config"]
        clients = cfg["tenants"].get(tenant)
        resource = cfg.get("resource", "https://graph.microsoft.com")
    if clients is None:
        raise AadError(400, "invalid_request", 90002,
                       "Tenant '%s' not found. Check to make sure you have "
                       "the correct tenant ID." % tenant)
    if method != "POST":
        raise AadError(400, "invalid_request", 900561,
                       "The endpoint only accepts POST requests.")
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise AadError(400, "invalid_request", 900144,
                       "The request body must contain the following "
                       "parameter: 'grant_type'.")
    form = parse_form(body)
    rec["form"] = form
    if required(form, "grant_type") != "client_credentials":
        raise AadError(400, "unsupported_grant_type", 70003,
                       "The app requested an unsupported grant type.")
    client_id = required(form, "client_id")
    client = clients.get(client_id)
    if client is None:
        raise AadError(400, "unauthorized_client", 700016,
                       "Application with identifier '%s' was not found in "
                       "the directory '%s'." % (client_id, tenant))
    scope = required(form, "scope")
    if " " in scope or not scope.endswith("/.default"):
        raise AadError(400, "invalid_scope", 1002012,
                       "The provided value for scope %s is not valid. "
                       "Client credential flows must have a scope value "
                       "with /.default suffixed to the resource "
                       "identifier (application ID URI)." % scope)
    if scope[:-len("/.default")] != resource:
        raise AadError(400, "invalid_resource", 500011,
                       "The resource principal named %s was not found in "
                       "the tenant named %s." % (scope[:-9], tenant))
    has_secret = "client_secret" in form
    has_assertion = "client_assertion" in form
    if not has_secret and not has_assertion:
        raise AadError(401, "invalid_client", 7000218,
                       "The request body must contain the following "
                       "parameter: 'client_assertion' or 'client_secret'.")
    if has_secret and has_assertion:
        raise AadError(400, "invalid_request", 9002313,
                       "Invalid request. Request is malformed or invalid: "
                       "both client_secret and client_assertion.")
    if has_secret:
        if client.get("secret") is None or form["client_secret"] != \
                client["secret"]:
            raise AadError(401, "invalid_client", 7000215,
                           "Invalid client secret provided. Ensure the "
                           "secret being sent in the request is the client "
                           "secret value, not the client secret ID, for a "
                           "secret added to app '%s'." % client_id)
    else:
        check_assertion(rec, form, client, client_id, aud)
    return client


def aad_body(e, trace, corr):
    ts = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return {
        "error": e.error,
        "error_description": "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation "
                             "ID: %s\r\nTimestamp: %s"
                             % (e.code, e.description, trace, corr, ts),
        "error_codes": [e.code],
        "timestamp": ts,
        "trace_id": trace,
        "correlation_id": corr,
        "error_uri": "https://login.microsoftonline.com/error?code=%d"
                     % e.code,
    }


def new_token(tenant, client_id, expires_in):
    with LOCK:
        STATE["issued"] += 1
        n = STATE["issued"]
    head = b64url(json.dumps({"typ": "JWT", "alg": "RS256"}).encode())
    body = b64url(json.dumps({
        "aud": "https://graph.microsoft.com", "tid": tenant,
        "appid": client_id, "n": n,
        "exp": int(time.time()) + int(expires_in),
    }).encode())
    sig = "".join(random.choice(string.ascii_letters + string.digits + "-_")
                  for _ in range(43))
    return "%s.%s.%s" % (head, body, sig)


def take_canned(tenant):
    with LOCK:
        for c in STATE["queue"]:
            if c.get("tenant") in (None, tenant):
                c["count"] = c.get("count", 1) - 1
                if c["count"] <= 0:
                    STATE["queue"].remove(c)
                return dict(c)
    return None


# ----------------------------------------------------------------------
# HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "token-standin"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def send(self, status, obj=None, body=None, headers=None, crid=None):
        if obj is not None:
            body = json.dumps(obj).encode()
        body = body or b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store, no-cache")
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        if crid:
            self.send_header("client-request-id", crid)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method):
        body = self.read_body()
        if self.path.startswith("/_"):
            return self.control(method, body)
        return self.token(method, body)

    def control(self, method, body):
        path = self.path
        if path == "/_health":
            return self.send(200, {"ok": True})
        if path == "/_config" and method == "PUT":
            cfg = json.loads(body)
            for clients in cfg.get("tenants", {}).values():
                for c in clients.values():
                    pems = c.get("certificates") or \
                        ([c["certificate"]] if c.get("certificate") else [])
                    c["_certs"] = [cert_info(p) for p in pems]
            cfg.setdefault("expires_in", 3599)
            cfg.setdefault("resource", "https://graph.microsoft.com")
            with LOCK:
                STATE["config"] = cfg
            return self.send(200, {"ok": True})
        if path == "/_queue" and method == "POST":
            with LOCK:
                STATE["queue"].append(json.loads(body))
            return self.send(200, {"ok": True})
        if path == "/_queue" and method == "DELETE":
            with LOCK:
                STATE["queue"] = []
            return self.send(200, {"ok": True})
        if path == "/_records" and method == "GET":
            with LOCK:
                recs = list(STATE["records"])
            return self.send(200, recs)
        if path == "/_records" and method == "DELETE":
            with LOCK:
                STATE["records"] = []
            return self.send(200, {"ok": True})
        return self.send(404, {"error": "no such control endpoint"})

    def token(self, method, body):
        arrived = time.time()
        headers = {k.lower(): v for k, v in self.headers.items()}
        crid = headers.get("client-request-id") \
            if headers.get("return-client-request-id") == "true" else None
        m = re.fullmatch(r"/([^/?]+)/oauth2/v2\.0/token", self.path)
        if not m:
            return self.send(404, {"error": "not_found"}, crid=crid)
        tenant = m.group(1)
        rec = {
            "time": arrived, "tenant": tenant, "path": self.path,
            "method": method, "headers": [[k, v] for k, v in
                                          self.headers.items()],
            "form": {}, "status": None, "error": None, "codes": [],
            "checks": None, "canned": False, "token": None,
            "assertion": None,
        }
        with LOCK:
            STATE["records"].append(rec)
        aud = "http://%s%s" % (headers.get("host", ""), self.path)
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())

        client_id = None
        failure = None
        try:
            check(rec, method, tenant, headers, body, aud)
            client_id = rec["form"].get("client_id")
        except AadError as e:
            failure = e
            rec["checks"] = "AADSTS%d %s" % (e.code, e.error)

        canned = take_canned(tenant)
        if canned:
            rec["canned"] = True
            if canned.get("delay"):
                time.sleep(float(canned["delay"]))
            if canned.get("hang"):
                return self.hang(rec)

        with LOCK:
            expires_in = STATE["config"].get("expires_in", 3599)

        if canned and "status" in canned:
            status = int(canned["status"])
            if "aad_error" in canned:
                e = AadError(status, canned["aad_error"],
                             int(canned.get("code", 0)),
                             canned.get("description", "Canned error."))
                obj, raw = aad_body(e, trace, corr), None
                rec["error"], rec["codes"] = e.error, [e.code]
            elif "json" in canned:
                obj, raw = canned["json"], None
            else:
                obj, raw = None, canned.get("body", "").encode()
            rec["status"] = status
            rec["done"] = time.time()
            return self.send(status, obj, raw, canned.get("headers"), crid)

        if failure:
            rec["status"] = failure.status
            rec["error"] = failure.error
            rec["codes"] = [failure.code]
            rec["done"] = time.time()
            return self.send(failure.status, aad_body(failure, trace, corr),
                             crid=crid)

        if canned and "expires_in" in canned:
            expires_in = canned["expires_in"]
        token = (canned or {}).get("access_token") or \
            new_token(tenant, client_id, expires_in)
        rec["status"] = 200
        rec["token"] = token
        rec["done"] = time.time()
        ext = expires_in
        return self.send(200, {"token_type": "Bearer",
                               "expires_in": expires_in,
                               "ext_expires_in": ext,
                               "access_token": token},
                         headers={"Pragma": "no-cache"}, crid=crid)

    def hang(self, rec):
        """no answer: wait until the client gives up (or we stop)"""
        sock = self.connection
        while not STOP.is_set():
            r, _, _ = select.select([sock], [], [], 0.05)
            if r:
                try:
                    if sock.recv(1, socket.MSG_PEEK) == b"":
                        break
                except OSError:
                    break
        rec["status"] = 0
        rec["done"] = time.time()
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def stop(signum, frame):
    STOP.set()
    raise SystemExit(0)


def main():
    port = int(sys.argv[1])
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv = Server(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    try:
        srv.serve_forever(poll_interval=0.05)
    except SystemExit:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
