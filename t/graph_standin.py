#!/usr/bin/python3
"""A stand-in for Microsoft Graph's add-attachment call, for the tests.

Usage: graph_standin.py PORT [TOKEN ...]

Listens on 127.0.0.1:PORT, prints "ready" once it accepts connections.
Python 3 standard library only.

It accepts only the attachment paths the gateway may produce, under /v1.0
or /beta, and checks what Graph checks (see shared/graph-api.md):

  - Authorization: Bearer <t>, t among the currently valid tokens
    (401 InvalidAuthenticationToken otherwise);
  - Content-Type application/json (415);
  - Content-Length present (no chunked: 411) and equal to the body length;
  - request body at most 4 MiB (413).  Graph documents "under 3 MB" per
    attachment and about 4 MB per request; users measured 413 above about
    3,145,611 request bytes.  The stand-in only enforces the 4 MiB request
    cap, so that the gateway's own graph_attach_max_size is what tests see;
  - the body is UTF-8 JSON, one object, no duplicate keys, with
    "@odata.type" == "#microsoft.graph.fileAttachment", "name" a non-empty
    string, "contentBytes" strict standard base64 (padded, no whitespace),
    optional "contentType" string, "isInline" boolean, "contentId" string,
    and no other property (read-only ones like id or size included): 400
    RequestBodyRead;
  - ids made only of A-Z a-z 0-9 - _ = (ErrorInvalidIdMalformed).

Errors are shaped like Graph's:
  {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}

Success is 201 with a Graph-like fileAttachment object and request-id,
client-request-id headers.

Control endpoints (paths starting with /_, never recorded):
  GET    /_records   every request received so far, as a JSON list of
                     {"method","path","version","headers":[[k,v],...],
                      "body_b64","status","error_code"}
  DELETE /_records   forget them
  PUT    /_tokens    body: JSON list of valid tokens (replaces the set)
  GET    /_tokens    the current set
  POST   /_queue     body: JSON object {"status":429,"headers":{...},
                     "json":{...} or "body":"raw text", "delay":seconds};
                     the next attachment request (after being recorded)
                     gets it instead of the normal answer
  DELETE /_queue     drop queued responses
  GET    /_health    200 "ok"
"""

import base64
import datetime
import json
import re
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_REQUEST = 4 * 1024 * 1024

ALLOWED_PROPS = {"@odata.type", "name", "contentBytes", "contentType",
                 "isInline", "contentId"}
READ_ONLY_PROPS = {"id", "size", "lastModifiedDateTime", "@odata.context"}

ID_RE = re.compile(r"^[A-Za-z0-9_=-]+$")

# Attachment collections, as lists of segments after /users/{u}.
# "*" is an id segment.
PATHS = [
    ["messages", "*", "attachments"],
    ["mailFolders", "*", "messages", "*", "attachments"],
    ["events", "*", "attachments"],
    ["calendar", "events", "*", "attachments"],
    ["calendars", "*", "events", "*", "attachments"],
    ["calendarGroups", "*", "calendars", "*", "events", "*", "attachments"],
]

lock = threading.Lock()
state = {
    "records": [],
    "tokens": set(),
    "queue": [],
    "counter": 0,
}


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S")


class GraphError(Exception):
    def __init__(self, status, code, message, headers=None):
        Exception.__init__(self, message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def check_path(path):
    """Returns the path's version; raises GraphError when Graph would."""
    if "?" in path:
        path = path.split("?", 1)[0]
    raw = path.split("/")
    if raw[0] != "" or len(raw) < 4:
        raise GraphError(404, "ResourceNotFound", "Resource not found")
    version = raw[1]
    if version not in ("v1.0", "beta"):
        raise GraphError(404, "ResourceNotFound",
                         "Invalid version: " + version)
    if raw[2] != "users":
        raise GraphError(404, "ResourceNotFound",
                         "Resource not found for the segment '%s'." % raw[2])

    segs = []
    for s in raw[3:]:
        try:
            segs.append(urllib.parse.unquote(s, errors="strict"))
        except UnicodeDecodeError:
            raise GraphError(400, "BadRequest", "Invalid URL encoding")

    mailbox, rest = segs[0], segs[1:]
    if mailbox == "" or "/" in mailbox or "\\" in mailbox \
            or any(ord(c) < 0x20 or ord(c) == 0x7f for c in mailbox):
        raise GraphError(400, "ErrorInvalidUser",
                         "The requested user '%s' is invalid." % mailbox)

    for shape in PATHS:
        if len(shape) != len(rest):
            continue
        ok = True
        for want, got in zip(shape, rest):
            if want == "*":
                continue
            if want != got:
                ok = False
                break
        if not ok:
            continue
        for want, got in zip(shape, rest):
            if want == "*" and not ID_RE.match(got):
                raise GraphError(400, "ErrorInvalidIdMalformed",
                                 "Id is malformed.")
        return version

    raise GraphError(404, "ResourceNotFound",
                     "Resource not found for the segment '%s'."
                     % (rest[0] if rest else ""))


def strict_b64(s):
    try:
        raw = base64.b64decode(s, validate=True)
    except Exception:
        return None
    if base64.b64encode(raw).decode("ascii") != s:
        return None
    return raw


def no_duplicates(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate property '%s'" % k)
        d[k] = v
    return d


def check_body(body):
    """Returns (attachment dict, decoded file bytes)."""

    def bad(msg):
        return GraphError(400, "RequestBodyRead", msg)

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("Unable to read JSON request payload. Please ensure "
                  "Content-Type header is set and payload is of valid "
                  "JSON format.")
    try:
        obj = json.loads(text, object_pairs_hook=no_duplicates)
    except ValueError as e:
        raise bad("Unable to read JSON request payload: %s" % e)
    if not isinstance(obj, dict):
        raise bad("The request payload is not an object.")

    for k in obj:
        if k in READ_ONLY_PROPS:
            raise bad("The property '%s' is read-only and cannot be set."
                      % k)
        if k not in ALLOWED_PROPS:
            raise bad("The property '%s' does not exist on type "
                      "'microsoft.graph.fileAttachment'." % k)

    if obj.get("@odata.type") != "#microsoft.graph.fileAttachment":
        raise bad("A type named '%s' could not be resolved by the model."
                  % obj.get("@odata.type"))
    name = obj.get("name")
    if not isinstance(name, str) or name == "":
        raise bad("The property 'name' must be a non-empty string.")
    cb = obj.get("contentBytes")
    if not isinstance(cb, str):
        raise bad("The property 'contentBytes' is required.")
    data = strict_b64(cb)
    if data is None:
        raise bad("Cannot convert the literal '%s' to the expected type "
                  "'Edm.Binary'." % cb[:40])
    if "contentType" in obj and not isinstance(obj["contentType"], str):
        raise bad("Cannot convert a value to target type 'Edm.String'.")
    if "isInline" in obj and not isinstance(obj["isInline"], bool):
        raise bad("Cannot convert a value to target type 'Edm.Boolean'.")
    if "contentId" in obj and not isinstance(obj["contentId"], str):
        raise bad("Cannot convert a value to target type 'Edm.String'.")
    return obj, data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GraphStandin/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        # Quiet: tokens are in headers and must not be printed anywhere.
        pass

    # --- plumbing --------------------------------------------------------

    def send_bytes(self, status, body, headers):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        self.send_bytes(status, json.dumps(obj).encode("utf-8"), h)

    def read_body(self):
        """Reads the body as sent; returns (bytes, error or None)."""
        te = self.headers.get("Transfer-Encoding")
        cl = self.headers.get("Content-Length")
        if te is not None and te.lower() != "identity":
            body = b""
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                             b""):
                        pass
                    break
                body += self.rfile.read(size)
                self.rfile.readline(65537)
            return body, GraphError(411, "LengthRequired",
                                    "Content-Length is required.")
        if cl is None:
            return b"", GraphError(411, "LengthRequired",
                                   "Content-Length is required.")
        try:
            n = int(cl)
            if n < 0 or str(n) != cl.strip():
                raise ValueError()
        except ValueError:
            self.close_connection = True
            return b"", GraphError(400, "BadRequest",
                                   "Invalid Content-Length.")
        if n > MAX_REQUEST:
            # Read and drop it, so that the answer reaches the client
            # (closing with unread data would reset the connection), and
            # close afterwards, as Graph does.
            self.close_connection = True
            left = n
            while left > 0:
                got = self.rfile.read(min(left, 65536))
                if not got:
                    break
                left -= len(got)
            return None, GraphError(413, "RequestEntityTooLarge",
                                    "The maximum request length supported "
                                    "is 4MB.")
        body = self.rfile.read(n)
        if len(body) != n:
            self.close_connection = True
            return body, GraphError(400, "RequestBodyRead",
                                    "Content-Length %d but %d bytes "
                                    "arrived." % (n, len(body)))
        return body, None

    # --- control endpoints ----------------------------------------------

    def control(self):
        path = self.path.split("?", 1)[0]
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if path == "/_health":
            return self.send_bytes(200, b"ok", {"Content-Type": "text/plain"})
        if path == "/_records":
            with lock:
                if self.command == "DELETE":
                    state["records"] = []
                    return self.send_json(200, [])
                return self.send_json(200, state["records"])
        if path == "/_tokens":
            with lock:
                if self.command in ("PUT", "POST"):
                    state["tokens"] = set(json.loads(body or b"[]"))
                return self.send_json(200, sorted(state["tokens"]))
        if path == "/_queue":
            with lock:
                if self.command == "DELETE":
                    state["queue"] = []
                elif self.command == "POST":
                    state["queue"].append(json.loads(body))
                return self.send_json(200, state["queue"])
        return self.send_json(404, {"error": "no such control endpoint"})

    # --- Graph -----------------------------------------------------------

    def handle_any(self):
        if self.path.startswith("/_"):
            return self.control()

        body, err = self.read_body()
        headers = [[k, v] for k, v in self.headers.items()]
        crid = self.headers.get("client-request-id") or ""
        rid = str(uuid.uuid4())
        rec = {
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": headers,
            "body_b64": base64.b64encode(body or b"").decode("ascii"),
            "body_read": body is not None,
            "time": time.time(),
        }

        canned = None
        with lock:
            state["records"].append(rec)
            if state["queue"]:
                canned = state["queue"].pop(0)

        if canned is not None:
            return self.send_canned(rec, canned, rid, crid)

        try:
            if err is not None:
                raise err
            status, obj, extra = self.attach(body)
        except GraphError as e:
            rec["status"] = e.status
            rec["error_code"] = e.code
            h = {"request-id": rid, "client-request-id": crid}
            h.update(e.headers)
            if e.status == 405:
                h["Allow"] = "POST"
            return self.send_json(e.status, {
                "error": {
                    "code": e.code,
                    "message": e.message,
                    "innerError": {
                        "date": now_iso(),
                        "request-id": rid,
                        "client-request-id": crid,
                    },
                },
            }, h)

        rec["status"] = status
        h = {
            "Content-Type": "application/json;odata.metadata=minimal;"
                            "odata.streaming=true;IEEE754Compatible=false;"
                            "charset=utf-8",
            "request-id": rid,
            "client-request-id": crid,
        }
        h.update(extra)
        return self.send_json(status, obj, h)

    def send_canned(self, rec, c, rid, crid):
        if c.get("delay"):
            time.sleep(float(c["delay"]))
        status = int(c.get("status", 200))
        rec["status"] = status
        rec["canned"] = True
        h = {"request-id": rid, "client-request-id": crid}
        h.update(c.get("headers") or {})
        if "json" in c:
            h.setdefault("Content-Type", "application/json")
            body = json.dumps(c["json"]).encode("utf-8")
        else:
            body = (c.get("body") or "").encode("utf-8")
        if c.get("close"):
            self.close_connection = True
            h["Connection"] = "close"
        return self.send_bytes(status, body, h)

    def attach(self, body):
        auth = self.headers.get("Authorization")
        m = re.match(r"^Bearer ([^ ]+)$", auth or "")
        with lock:
            valid = m is not None and m.group(1) in state["tokens"]
        if not valid:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token is empty." if not auth
                             else "Lifetime validation failed, the token "
                                  "is expired.",
                             {"WWW-Authenticate": 'Bearer realm=""'})

        version = check_path(self.path)

        if self.command != "POST":
            raise GraphError(405, "Request_BadRequest",
                             "Unsupported method.")

        ct = (self.headers.get("Content-Type") or "").split(";")[0]
        if ct.strip().lower() != "application/json":
            raise GraphError(415, "UnsupportedMediaType",
                             "Content-Type must be application/json.")

        att, data = check_body(body)

        with lock:
            state["counter"] += 1
            n = state["counter"]
        aid = "AAMkAGI1Standin" + base64.b64encode(
            b"att-%08d" % n).decode("ascii")
        out = {
            "@odata.context": "https://graph.microsoft.com/%s/$metadata#"
                              "users('standin')/messages('standin')/"
                              "attachments/$entity" % version,
            "@odata.type": "#microsoft.graph.fileAttachment",
            "id": aid,
            "lastModifiedDateTime": now_iso() + "Z",
            "name": att["name"],
            "contentType": att.get("contentType",
                                   "application/octet-stream"),
            # Exchange's size, not the file length.
            "size": len(data) + 180 + len(att["name"].encode("utf-8")),
            "isInline": att.get("isInline", False),
            "contentId": att.get("contentId"),
            "contentLocation": None,
            "contentBytes": att["contentBytes"],
        }
        loc = "https://graph.microsoft.com%s('%s')" % (
            self.path.split("?", 1)[0], aid)
        return 201, out, {"Location": loc}

    do_POST = handle_any
    do_GET = handle_any
    do_PUT = handle_any
    do_DELETE = handle_any
    do_PATCH = handle_any
    do_HEAD = handle_any
    do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # bursts of uploads must not wait on SYN retries (the default is 5)
    request_queue_size = 128


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: graph_standin.py PORT [TOKEN ...]\n")
        sys.exit(2)
    port = int(sys.argv[1])
    state["tokens"] = set(sys.argv[2:])
    srv = Server(("127.0.0.1", port), Handler)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
