#!/usr/bin/python3
"""A stand-in for Microsoft Graph's add-attachment calls, for the tests.

Usage: graph_standin.py PORT [TOKEN ...]

Listens on 127.0.0.1:PORT, prints "ready" once it accepts connections.
Python 3 standard library only.  Upload sessions keep their bytes in
files under $GRAPH_STANDIN_TMPDIR (default: the system's temp directory),
in a directory of their own removed when the stand-in exits on TERM or INT.

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
    RequestBodyRead; or an itemAttachment (below).  NaN, Infinity and
    -Infinity are not JSON: 400 RequestBodyRead;
  - ids made only of A-Z a-z 0-9 - _ = (ErrorInvalidIdMalformed).

Errors are shaped like Graph's:
  {"error":{"code","message",
            "innerError":{"date","request-id","client-request-id"}}}

Success is 201 with a Graph-like fileAttachment object.

Request ids, as Graph sends them (shared/graph-api.md; Microsoft's Dev
Proxy mocks Graph the same way): every answer, to a Graph path or an
uploadUrl, errors included, has "request-id: <a fresh GUID>" and
"client-request-id: <the one received>", or the request-id again when
none came (or an empty one); the error body's innerError holds both.
Each record has "request_id": the request-id header value(s) sent (a
string, a list when several, null when none).  PUT /_reply_ids makes
the answers' headers hostile or broken instead (see below); innerError
keeps the stand-in's own values.

Item attachments, and what a message holds
------------------------------------------
A simple POST may carry {"@odata.type":"#microsoft.graph.itemAttachment",
"name":...,"item":{...}}: "name" a non-empty string, "item" an object
whose "@odata.type" is microsoft.graph.message, microsoft.graph.event or
microsoft.graph.contact, with or without '#'; optional "contentType"
string and "isInline" boolean; no other property (contentBytes,
contentId, read-only ones).  The item's own properties are not judged.
Graph does not document its codes for a bad itemAttachment: every
refusal is 400 RequestBodyRead, the message saying what (a test should
check the status and that nothing was attached).  201 echoes it without
the item ("contentType" null unless sent, "size" Exchange-like).

Every attachment created is kept with its message or event: by a simple
POST (fileAttachment or itemAttachment) or by the last range of an upload
session (its 201 creates the attachment named by its Location).  A
message is its mailbox (case-insensitively), "Messages" or "Events" and
its id: mailFolders/F/messages/M is messages/M, calendar/events/E and
calendars/C/events/E are events/E, /beta is /v1.0.  On every attachment
path above, with a valid token (401 otherwise):
  GET    {path}        200 {"@odata.context":...,"value":[...]}, oldest
                       first, each {"@odata.type","id",
                       "lastModifiedDateTime","name","contentType","size",
                       "isInline"} and, for a fileAttachment, "contentId",
                       "contentLocation" (no contentBytes, no item); a
                       message never seen holds nothing;
  GET    {path}/{id}   200, one of them; DELETE {path}/{id}: 204, empty,
                       and it is gone; either with an id the message does
                       not hold: 404 ErrorItemNotFound ("The specified
                       object was not found in the store."); a malformed
                       id: 400 ErrorInvalidIdMalformed; another method:
                       405 (Allow: GET, DELETE).
Their records have kind "list", "get" or "delete" (by the method and the
path's shape, whatever the answer: a 401 or 404 included; a malformed id
has no shape: "attach").  Records of POSTs that passed the body checks
(simple or createUploadSession) have "attempt": the number of such POSTs
to that message so far, this one included.

Upload sessions (Graph's "attach large files", shared/graph-api.md)
-------------------------------------------------------------------
POST {attachment path}/createUploadSession, on every attachment path above
(messages, mailFolders/../messages, events, calendar/events, calendars/../
events, calendarGroups/../calendars/../events), checked like the simple
POST (token 401, path 404/400, POST only 405, application/json 415, 411,
4 MiB 413), body exactly {"AttachmentItem":{...}} where the item has
"attachmentType":"file", "name" non-empty string, "size" JSON integer, and
optionally "contentType" string, "isInline" boolean, "contentId" string;
anything else (other properties, other types, duplicates, another top-level
key) is 400 RequestBodyRead.  Then:
  - size < 2,097,152 (min_size): 400
    ErrorAttachmentSizeShouldNotBeLessThanMinimumSize (Graph's code);
  - size > 157,286,400 = 150 MiB (max_size): 400
    ErrorAttachmentSizeShouldNotBeGreaterThanMaximumSize.  Graph's real
    answer over 150 MB is not documented: this code is the stand-in's
    guess, modelled on the minimum's; a test should check the status (and
    that nothing is uploaded), not this code.
  - otherwise 201 {"@odata.context":"https://graph.microsoft.com/v1.0/
    $metadata#microsoft.graph.uploadSession","uploadUrl":URL,
    "expirationDateTime":"...7 digits...Z","nextExpectedRanges":["0-"]}
    where URL is ORIGIN + "/_upload/<sid>?authtoken=<secret>" (url_style
    "standin", the default) or, as Outlook does, ORIGIN +
    "/api/v2.0/Users('<user>')/Messages('<id>')/AttachmentSessions('<sid>')
    ?authtoken=<secret>" (url_style "outlook"; Events('<id>') for events).
    ORIGIN is the stand-in's own http://127.0.0.1:PORT unless "origin" is
    configured.  <sid> is [A-Za-z0-9_-]; <secret> looks like a JWT
    ("eyJ...", [A-Za-z0-9_.-]).

The uploadUrl (requests to it are recorded in /_records, kind "upload",
with an empty body_b64 and body_length, body_sha256 instead; the bytes are
in /_sessions/<sid>/file).  Checks in this order:
  1. an Authorization header: 401 InvalidAuthenticationToken (Graph does
     that: the URL carries its own credential);
  2. no such session, a cancelled one, a completed one, or the path not
     the one handed out: 404 ErrorItemNotFound;
  3. authtoken missing, repeated or wrong: 401 InvalidAuthenticationToken;
  4. a method other than PUT and DELETE: 405 (Allow: PUT, DELETE).
DELETE: 204, empty; the session is cancelled, everything sent to it
afterwards gets 404.
PUT, after the above:
  - Content-Length missing or chunked: 411 LengthRequired (connection
    closed); not a number: 400 BadRequest;
  - Content-Type not application/octet-stream: 415 UnsupportedMediaType;
  - Content-Range not exactly "bytes START-END/TOTAL" (decimal, no leading
    zeros, END >= START, END < TOTAL), or TOTAL not the session's size:
    400 InvalidContentRange;
  - END-START+1 over 4 MiB (4,194,304, max_chunk): 400 ChunkTooLarge;
  - Content-Length not END-START+1: 400 ContentLengthMismatch;
  - the body is read (64 KiB at a time, into a temporary file); a body
    shorter than Content-Length (the peer closed, or nothing for 60 s):
    no answer, connection closed, nothing stored;
  - START not the next expected offset (a gap, an overlap, a range sent
    twice): 416 InvalidRange, nothing stored.  (Graph requires ranges in
    order but does not document its status for this; 416 is what
    OneDrive's upload sessions answer, "fragmentOverlap".)
  - an intermediate range: 200 {"@odata.context":...,
    "ExpirationDateTime":"...","nextExpectedRanges":["<next offset>"]}
    (Outlook's keys as documented, ExpirationDateTime capitalised; the
    "-" form ["<next offset>-"] when ranges_form is "open");
  - the last range: 201, empty body (Content-Length: 0), Location:
    https://outlook.office.com/api/v2.0/Users('<user>')/Messages('<id>')/
    Attachments('<attachment id>') (Events('<id>') for events); the
    attachment id is AAMkAGI1Standin...= (ends in "=").  Variants with
    "location": "lower" (every letter outside the quoted ids lower-case),
    "upper" (upper-case), "office365" (host outlook.office365.com),
    "graph" (https://graph.microsoft.com/v1.0/users('<user>')/messages(
    '<id>')/attachments('<attachment id>')).
Settings (url_style, origin, ranges_form, location, max_chunk) are taken
when a session is created and hold for its life.

Faults for sessions (POST /_upload_faults), each an object with one
selector:
    "range": N        the first attempt at the Nth range of a session
                      (N-1 ranges accepted so far; retries of the same
                      range are attempts at it too), or "last": a PUT
                      whose END is TOTAL-1;
    "create": true    a createUploadSession request (after it is
                      validated);
    "delete": true    a DELETE of an uploadUrl (after steps 1-3);
    "attachment": N   the Nth POST that would create an attachment in a
                      message or event (a simple POST of either type, or
                      a createUploadSession), after its body passed the
                      checks, counting every attempt (retries included;
                      the record's "attempt"; a /_queue answer is none);
                      with "parent_id": ID only in the message or event
                      of that id.  For a simple
                      POST "commit" creates the attachment before the
                      fault's answer, and "drop": "early" is "drop": true
                      (the body was read: the same holds for "create");
and what happens:
    "status": S       answer S with a Graph error body; "code" and
                      "message" override the defaults (429
                      ApplicationThrottled, 503 ServiceUnavailable, 500
                      InternalServerError, 502 BadGateway, 504
                      GatewayTimeout, 4xx BadRequest); "retry_after":
                      "1" sends Retry-After: 1; "headers": {...} more;
    "stall": SEC      sleep SEC seconds before answering (the body read);
    "drop": true      close the connection without answering, after
                      reading the body; "drop": "early" closes right
                      after the request headers, the body unread;
    "commit": true    do the work anyway (store the range, create the
                      session, cancel it) before the stall/status/drop:
                      "the answer was lost";
    "times": N        fire N times (default 1; -1: every time).
Only a range that passed the header checks meets a fault.  With only
"stall" (and "commit") the normal answer follows the sleep.  A request
that met a fault has "fault" in its record.  The /_queue applies to Graph
paths (simple POSTs and createUploadSession), never to an uploadUrl.

Control endpoints (paths starting with /_, never recorded; /_upload/... is
an uploadUrl, not a control endpoint):
  GET    /_records   every request received so far, as a JSON list of
                     {"method","path","version","headers":[[k,v],...],
                      "body_b64","status","error_code","kind","time"}
                     kind is "create" (a createUploadSession path),
                     "upload" (an uploadUrl), "list", "get", "delete"
                     (what a message holds, above) or "attach" (any
                     other Graph path); create and
                     upload records have "session" (its id, when known);
                     upload records have "body_length", "body_sha256"
                     (of the bytes read, even when not stored), "range"
                     [START,END,TOTAL] when parsed
  DELETE /_records   forget them
  PUT    /_tokens    body: JSON list of valid tokens (replaces the set)
  GET    /_tokens    the current set
  POST   /_queue     body: JSON object {"status":429,"headers":{...},
                     "json":{...} or "body":"raw text", "delay":seconds,
                     "close":true};
                     the next Graph request (after being recorded) gets
                     it instead of the normal answer
  DELETE /_queue     drop queued responses
  PUT    /_reply_ids body: JSON object with "request_id" and/or
                     "client_request_id", each a string (sent as it is,
                     one character a byte: "\u00e9" is the byte 0xe9, a
                     control character goes out raw), a list of strings
                     (request_id only: one header each) or null (no such
                     header); a key left out keeps Graph's behaviour.
                     Every later answer sends them, until
  DELETE /_reply_ids Graph's behaviour again.  GET /_reply_ids: the
                     setting (null when none)
  GET    /_sessions  JSON list, oldest first, of {"id","path" (the
                     createUploadSession path, query removed),"item" (the
                     AttachmentItem as sent),"size","received" (bytes
                     stored),"ranges" (ranges stored),"puts" (PUTs that
                     passed the header checks),"complete","cancelled","sha256"
                     (hex, of the bytes stored),"attachment_id" (null until
                     complete),"location" (the 201's Location or null),
                     "upload_url","authtoken","created"}
  GET    /_sessions/<sid>        one of them (404 if unknown)
  GET    /_sessions/<sid>/file   the bytes stored, application/octet-stream
  DELETE /_sessions  forget every session (and delete their files)
  PUT    /_upload_config  body: JSON object, merged into the settings:
                     "origin": "http://127.0.0.2:9" (scheme://host[:port]
                     the uploadUrl names; null: the stand-in's own),
                     "url_style": "standin" | "outlook",
                     "ranges_form": "start" (["2097152"], Outlook's) |
                                    "open" (["2097152-"]),
                     "location": "outlook" | "lower" | "upper" |
                                 "office365" | "graph",
                     "min_size", "max_size", "max_chunk": integers
                     (defaults 2097152, 157286400, 4194304);
                     answers the settings; an unknown key or value is 400
  GET    /_upload_config  the settings
  DELETE /_upload_config  back to the defaults
  POST   /_upload_faults  body: a fault object or a JSON list of them
                     (appended); an unknown key or a bad value is 400
  GET    /_upload_faults  the faults, each with "fired" (times so far)
  DELETE /_upload_faults  forget them
  GET    /_attachments  every message and event that had an attachment
                     POST, as a JSON list of {"user","parent" ("Messages"
                     or "Events"),"parent_id","attempts" (attachment
                     POSTs, see "attachment" above),"attachments" (oldest
                     first),"deleted" (removed by DELETE, in that order)}
                     where each attachment is its Graph fields and
                     "contentId", "length" (bytes of the file; null for an
                     item), "sha256" (hex, of the decoded contentBytes or
                     of the bytes a session stored; null for an item),
                     "via" ("post" or "session"), "session" (its id, for
                     "session"), "item" (as sent, for an itemAttachment)
  GET    /_attachments?path=P  the one whose attachment path is P
                     (URL-encoded; any path above, e.g. /v1.0/users/u/
                     mailFolders/f/messages/m/attachments), empty when
                     never seen; 400 if P is not such a path
  DELETE /_attachments  forget them all
  GET    /_health    200 "ok"
"""

import base64
import datetime
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_REQUEST = 4 * 1024 * 1024

# Upload sessions (shared/graph-api.md).
MIN_SESSION = 2 * 1024 * 1024           # 2,097,152
MAX_SESSION = 150 * 1024 * 1024         # 157,286,400
MAX_CHUNK = 4 * 1024 * 1024             # 4,194,304
PIECE = 64 * 1024                       # socket and file reads
BODY_TIMEOUT = 60                       # seconds of silence in a body
SESSION_LIFETIME = 2 * 3600             # expirationDateTime, not enforced

ALLOWED_PROPS = {"@odata.type", "name", "contentBytes", "contentType",
                 "isInline", "contentId"}
READ_ONLY_PROPS = {"id", "size", "lastModifiedDateTime", "@odata.context"}

ITEM_PROPS = {"attachmentType", "name", "size", "contentType", "isInline",
              "contentId"}

# itemAttachment (shared/graph-api.md): the attachment base type's
# properties, and the entities an item may be, with or without '#'.
ITEM_ATTACHMENT_PROPS = {"@odata.type", "name", "item", "contentType",
                         "isInline"}
ITEM_TYPES = {"microsoft.graph.message", "microsoft.graph.event",
              "microsoft.graph.contact"}

ID_RE = re.compile(r"^[A-Za-z0-9_=-]+$")
RANGE_RE = re.compile(r"^bytes (0|[1-9][0-9]*)-(0|[1-9][0-9]*)/([1-9][0-9]*)$")
OUTLOOK_SESSION_RE = re.compile(r"/AttachmentSessions\('([^'/]+)'\)$")

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

DEFAULT_CONFIG = {
    "origin": None,
    "url_style": "standin",
    "ranges_form": "start",
    "location": "outlook",
    "min_size": MIN_SESSION,
    "max_size": MAX_SESSION,
    "max_chunk": MAX_CHUNK,
}
CONFIG_VALUES = {
    "url_style": ("standin", "outlook"),
    "ranges_form": ("start", "open"),
    "location": ("outlook", "lower", "upper", "office365", "graph"),
}

FAULT_KEYS = {"range", "create", "delete", "status", "code", "message",
              "retry_after", "headers", "stall", "drop", "commit", "times",
              "attachment", "parent_id"}
FAULT_CODES = {429: "ApplicationThrottled", 500: "InternalServerError",
               502: "BadGateway", 503: "ServiceUnavailable",
               504: "GatewayTimeout"}

# Lock order: a session's lock may be held while taking `lock`, never the
# other way round.
lock = threading.Lock()
state = {
    "records": [],
    "tokens": set(),
    "queue": [],
    "counter": 0,
    "sessions": {},          # id -> Session, insertion order
    "faults": [],
    "config": dict(DEFAULT_CONFIG),
    "tmpdir": None,
    "parents": {},           # parent_key() -> what a message/event holds
    "reply_ids": None,       # PUT /_reply_ids
}
attachment_ids = itertools.count(1)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S")


def iso7(t):
    """Outlook's timestamps: 7 fractional digits and Z."""
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % (
        d.microsecond * 10 + secrets.randbelow(10))


class GraphError(Exception):
    def __init__(self, status, code, message, headers=None):
        Exception.__init__(self, message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def match_shape(rest):
    """The PATHS shape rest is, or None; raises for a malformed id."""
    for shape in PATHS:
        if len(shape) != len(rest):
            continue
        if any(w != "*" and w != g for w, g in zip(shape, rest)):
            continue
        for want, got in zip(shape, rest):
            if want == "*" and not ID_RE.match(got):
                raise GraphError(400, "ErrorInvalidIdMalformed",
                                 "Id is malformed.")
        return shape
    return None


def check_path(path):
    """Returns {"version","kind" ("attach" or "create"),"user","parent"
    ("Messages" or "Events"),"parent_id"}; raises GraphError when Graph
    would."""
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

    kind = "attach"
    if rest and rest[-1] == "createUploadSession":
        kind, shape_rest = "create", rest[:-1]
    else:
        shape_rest = rest
    shape = match_shape(shape_rest)
    if shape is None and kind == "attach" and rest:
        shape = match_one_attachment(rest)
        if shape is not None:
            kind, shape_rest = "one", rest[:-1]
    if shape is None:
        raise GraphError(404, "ResourceNotFound",
                         "Resource not found for the segment '%s'."
                         % (rest[0] if rest else ""))
    info = {
        "version": version,
        "kind": kind,
        "user": mailbox,
        "parent": "Events" if shape[-3] == "events" else "Messages",
        "parent_id": shape_rest[-2],
    }
    if kind == "one":
        info["attachment_id"] = rest[-1]
    return info


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


def no_constants(name):
    # Python takes NaN, Infinity and -Infinity; JSON (and Graph) does not
    raise ValueError("'%s' is not JSON" % name)


def bad_body(msg):
    return GraphError(400, "RequestBodyRead", msg)


def parse_json_object(body):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_body("Unable to read JSON request payload. Please ensure "
                       "Content-Type header is set and payload is of valid "
                       "JSON format.")
    try:
        obj = json.loads(text, object_pairs_hook=no_duplicates,
                         parse_constant=no_constants)
    except ValueError as e:
        raise bad_body("Unable to read JSON request payload: %s" % e)
    if not isinstance(obj, dict):
        raise bad_body("The request payload is not an object.")
    return obj


def check_optional(obj):
    if "contentType" in obj and not isinstance(obj["contentType"], str):
        raise bad_body("Cannot convert a value to target type 'Edm.String'.")
    if "isInline" in obj and not isinstance(obj["isInline"], bool):
        raise bad_body("Cannot convert a value to target type "
                       "'Edm.Boolean'.")
    if "contentId" in obj and not isinstance(obj["contentId"], str):
        raise bad_body("Cannot convert a value to target type 'Edm.String'.")


def check_body(body):
    """Returns (attachment dict, decoded file bytes)."""
    return check_file_attachment(parse_json_object(body))


def check_file_attachment(obj):
    """Returns (attachment dict, decoded file bytes)."""
    for k in obj:
        if k in READ_ONLY_PROPS:
            raise bad_body("The property '%s' is read-only and cannot be "
                           "set." % k)
        if k not in ALLOWED_PROPS:
            raise bad_body("The property '%s' does not exist on type "
                           "'microsoft.graph.fileAttachment'." % k)

    if obj.get("@odata.type") != "#microsoft.graph.fileAttachment":
        raise bad_body("A type named '%s' could not be resolved by the "
                       "model." % obj.get("@odata.type"))
    name = obj.get("name")
    if not isinstance(name, str) or name == "":
        raise bad_body("The property 'name' must be a non-empty string.")
    cb = obj.get("contentBytes")
    if not isinstance(cb, str):
        raise bad_body("The property 'contentBytes' is required.")
    data = strict_b64(cb)
    if data is None:
        raise bad_body("Cannot convert the literal '%s' to the expected "
                       "type 'Edm.Binary'." % cb[:40])
    check_optional(obj)
    return obj, data


def check_session_body(body, cfg):
    """Returns the AttachmentItem of a createUploadSession body."""
    obj = parse_json_object(body)
    for k in obj:
        if k != "AttachmentItem":
            raise bad_body("The parameter '%s' in the request payload is "
                           "not a valid parameter for the operation "
                           "'createUploadSession'." % k)
    item = obj.get("AttachmentItem")
    if not isinstance(item, dict):
        raise bad_body("The parameter 'AttachmentItem' is required and "
                       "must be an object.")
    for k in item:
        if k not in ITEM_PROPS:
            raise bad_body("The property '%s' does not exist on type "
                           "'microsoft.graph.attachmentItem'." % k)
    if "attachmentType" not in item:
        raise bad_body("The property 'attachmentType' is required.")
    # The enum has file, item and reference; a session takes only files.
    if item["attachmentType"] != "file":
        raise bad_body("The value '%s' of 'attachmentType' is not valid "
                       "for an upload session; it must be 'file'."
                       % (item["attachmentType"],))
    name = item.get("name")
    if not isinstance(name, str) or name == "":
        raise bad_body("The property 'name' must be a non-empty string.")
    if "size" not in item:
        raise bad_body("The property 'size' is required.")
    size = item["size"]
    if type(size) is not int:
        raise bad_body("Cannot convert a value to target type 'Edm.Int64'.")
    check_optional(item)
    if size < cfg["min_size"]:
        raise GraphError(400,
                         "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize",
                         "Attachment size must be greater than the minimum "
                         "size.")
    if size > cfg["max_size"]:
        # Not documented by Graph: the stand-in's guess (see the top).
        raise GraphError(400,
                         "ErrorAttachmentSizeShouldNotBeGreaterThan"
                         "MaximumSize",
                         "Attachment size must be less than the maximum "
                         "size.")
    return item


def check_config(obj):
    if not isinstance(obj, dict):
        raise ValueError("the settings are a JSON object")
    for k, v in obj.items():
        if k not in DEFAULT_CONFIG:
            raise ValueError("unknown setting '%s'" % k)
        if k in CONFIG_VALUES and v not in CONFIG_VALUES[k]:
            raise ValueError("%s: one of %s" % (k, ", ".join(
                CONFIG_VALUES[k])))
        if k == "origin" and v is not None and (
                not isinstance(v, str)
                or not re.match(r"^https?://[^/?#\s]+$", v)):
            raise ValueError("origin: scheme://host[:port], or null")
        if k in ("min_size", "max_size", "max_chunk") and (
                type(v) is not int or v < 1):
            raise ValueError("%s: a positive integer" % k)


def check_fault(f):
    if not isinstance(f, dict):
        raise ValueError("a fault is a JSON object")
    for k in f:
        if k not in FAULT_KEYS:
            raise ValueError("unknown fault key '%s'" % k)
    sel = [k for k in ("range", "create", "delete", "attachment") if k in f]
    if len(sel) != 1:
        raise ValueError("a fault has one of range, create, delete, "
                         "attachment")
    check_attachment_fault(f)
    if "range" in f:
        r = f["range"]
        if not (r == "last" or (type(r) is int and r >= 1)):
            raise ValueError("range: an integer >= 1 or \"last\"")
    for k in ("create", "delete", "commit"):
        if k in f and f[k] not in (True,):      # true, or Perl's 1
            raise ValueError("%s: true" % k)
    if not any(k in f for k in ("status", "stall", "drop")):
        raise ValueError("a fault has a status, a stall or a drop")
    if "status" in f and not (type(f["status"]) is int
                              and 100 <= f["status"] <= 599):
        raise ValueError("status: an HTTP status")
    if "status" in f and "drop" in f:
        raise ValueError("status or drop, not both")
    if "stall" in f and not (type(f["stall"]) in (int, float)
                             and f["stall"] >= 0):
        raise ValueError("stall: seconds")
    if "drop" in f and f["drop"] not in (True, "early"):
        raise ValueError("drop: true or \"early\"")
    if f.get("drop") == "early" and ("stall" in f or "commit" in f):
        raise ValueError("drop \"early\" takes no stall or commit")
    if "times" in f and not (type(f["times"]) is int
                             and (f["times"] >= 1 or f["times"] == -1)):
        raise ValueError("times: an integer >= 1, or -1")
    if "headers" in f and not (isinstance(f["headers"], dict) and all(
            isinstance(v, str) for v in f["headers"].values())):
        raise ValueError("headers: an object of strings")
    for k in ("code", "message"):
        if k in f and not isinstance(f[k], str):
            raise ValueError("%s: a string" % k)
    if "retry_after" in f and not isinstance(f["retry_after"],
                                             (str, int, float)):
        raise ValueError("retry_after: a string or a number")


def take_fault(pred):
    """The first fault pred accepts that has times left, counted as fired;
    or None."""
    with lock:
        for f in state["faults"]:
            times = f.get("times", 1)
            if times != -1 and f["fired"] >= times:
                continue
            if pred(f):
                f["fired"] += 1
                return dict(f)
    return None


class Session(object):
    def __init__(self, info, item, path, cfg, origin):
        self.id = secrets.token_urlsafe(18)
        self.secret = "eyJ" + secrets.token_urlsafe(24) + "." \
            + secrets.token_urlsafe(24)
        self.path = path
        self.info = info
        self.item = item
        self.size = item["size"]
        self.cfg = cfg
        self.received = 0
        self.ranges = 0
        self.puts = 0
        self.complete = False
        self.cancelled = False
        self.attachment_id = None
        self.location = None
        self.created = time.time()
        self.expires = iso7(self.created + SESSION_LIFETIME)
        self.sha = hashlib.sha256()
        self.lock = threading.Lock()
        self.file = os.path.join(state["tmpdir"], self.id)
        open(self.file, "wb").close()

        if cfg["url_style"] == "outlook":
            self.url_path = "/api/v2.0/Users('%s')/%s('%s')/" \
                "AttachmentSessions('%s')" % (
                    urllib.parse.quote(info["user"], safe="@"),
                    info["parent"], info["parent_id"], self.id)
        else:
            self.url_path = "/_upload/" + self.id
        self.upload_url = "%s%s?authtoken=%s" % (origin, self.url_path,
                                                 self.secret)

    def next_ranges(self):
        if self.cfg["ranges_form"] == "open":
            return ["%d-" % self.received]
        return ["%d" % self.received]

    def make_location(self):
        user = self.info["user"]
        parent = self.info["parent"]
        pid = self.info["parent_id"]
        aid = self.attachment_id
        style = self.cfg["location"]
        if style == "graph":
            return "https://graph.microsoft.com/v1.0/users('%s')/%s('%s')/" \
                "attachments('%s')" % (user, parent.lower(), pid, aid)
        host = "outlook.office365.com" if style == "office365" \
            else "outlook.office.com"
        parts = ["https://%s/api/v2.0/Users(" % host, "'%s'" % user,
                 ")/%s(" % parent, "'%s'" % pid, ")/Attachments(",
                 "'%s'" % aid, ")"]
        for i in (0, 2, 4, 6):
            if style == "lower":
                parts[i] = parts[i].lower()
            elif style == "upper":
                parts[i] = parts[i].upper()
        return "".join(parts)

    def to_json(self):
        with self.lock:
            return {
                "id": self.id,
                "path": self.path,
                "item": self.item,
                "size": self.size,
                "received": self.received,
                "ranges": self.ranges,
                "puts": self.puts,
                "complete": self.complete,
                "cancelled": self.cancelled,
                "sha256": self.sha.hexdigest(),
                "attachment_id": self.attachment_id,
                "location": self.location,
                "upload_url": self.upload_url,
                "authtoken": self.secret,
                "created": self.created,
            }

    def commit(self, start, n, tmp):
        """Appends n bytes from the file tmp at offset start.  Returns
        (status, extra) on success; raises GraphError."""
        with self.lock:
            if self.cancelled or self.complete:
                raise GraphError(404, "ErrorItemNotFound",
                                 "The upload session does not exist.")
            if start != self.received:
                raise GraphError(416, "InvalidRange",
                                 "The range starts at %d; the next expected "
                                 "byte is %d." % (start, self.received))
            tmp.seek(0)
            with open(self.file, "r+b") as out:
                out.seek(start)
                left = n
                while left > 0:
                    piece = tmp.read(min(left, PIECE))
                    if not piece:
                        raise GraphError(500, "InternalServerError",
                                         "Lost part of the range.")
                    out.write(piece)
                    self.sha.update(piece)
                    left -= len(piece)
            self.received += n
            self.ranges += 1
            if self.received == self.size:
                self.complete = True
                self.attachment_id = "AAMkAGI1Standin" + base64.b64encode(
                    b"upl-%010d" % next(attachment_ids)).decode("ascii")
                self.location = self.make_location()
                add_session_attachment(self)
                return 201, {"location": self.location}
            return 200, {"ranges": self.next_ranges()}

    def cancel(self):
        with self.lock:
            self.cancelled = True


# --- what a message or event holds -------------------------------------
#
# Every attachment created (a simple POST of a fileAttachment or an
# itemAttachment, or the last range of an upload session) is kept with
# the message or event it was made in, so that tests can assert on the
# final state.  A message is named by its mailbox (case-insensitively),
# "Messages" or "Events", and its id: mailFolders/.../messages/M is
# messages/M, calendar/events/E is events/E, v1.0 is beta.


def match_one_attachment(rest):
    """The PATHS shape of rest without its last segment (an attachment
    id), or None; raises for a malformed id."""
    if len(rest) < 2 or rest[-1] == "createUploadSession":
        return None
    shape = match_shape(rest[:-1])
    if shape is not None and not ID_RE.match(rest[-1]):
        raise GraphError(400, "ErrorInvalidIdMalformed", "Id is malformed.")
    return shape


def check_item_attachment(obj):
    """Judges an itemAttachment as Graph does; returns it.  Graph does not
    document its codes for these: every refusal is 400 RequestBodyRead,
    as for a fileAttachment, with what was wrong in the message."""
    for k in obj:
        if k in READ_ONLY_PROPS:
            raise bad_body("The property '%s' is read-only and cannot be "
                           "set." % k)
        if k not in ITEM_ATTACHMENT_PROPS:
            raise bad_body("The property '%s' does not exist on type "
                           "'microsoft.graph.itemAttachment'." % k)
    name = obj.get("name")
    if not isinstance(name, str) or name == "":
        raise bad_body("The property 'name' must be a non-empty string.")
    if "item" not in obj:
        raise bad_body("The property 'item' is required.")
    item = obj["item"]
    if not isinstance(item, dict):
        raise bad_body("Cannot convert a value to target type "
                       "'microsoft.graph.outlookItem'.")
    t = item.get("@odata.type")
    if not isinstance(t, str):
        raise bad_body("The item has no '@odata.type': the type of an "
                       "outlookItem cannot be inferred.")
    if (t[1:] if t.startswith("#") else t) not in ITEM_TYPES:
        raise bad_body("A type named '%s' could not be resolved by the "
                       "model, or is not an item an itemAttachment can "
                       "hold (message, event, contact)." % t)
    check_optional(obj)
    return obj


def check_attachment_fault(f):
    if "attachment" in f:
        a = f["attachment"]
        if not (type(a) is int and a >= 1):
            raise ValueError("attachment: an integer >= 1")
    if "parent_id" in f:
        if "attachment" not in f:
            raise ValueError("parent_id goes with attachment")
        if not isinstance(f["parent_id"], str):
            raise ValueError("parent_id: a string")


def parent_key(info):
    return (info["user"].lower(), info["parent"], info["parent_id"])


def parent_state(info):
    """What the message or event of info holds; call with lock held."""
    key = parent_key(info)
    p = state["parents"].get(key)
    if p is None:
        p = state["parents"][key] = {
            "user": info["user"],
            "parent": info["parent"],
            "parent_id": info["parent_id"],
            "attempts": 0,
            "attachments": [],
            "deleted": [],
        }
    return p


def count_attempt(info):
    """Counts a POST that would create an attachment in the message or
    event of info; returns its number, from 1."""
    with lock:
        p = parent_state(info)
        p["attempts"] += 1
        return p["attempts"]


def attachment_fault(info, n, also=None):
    """The fault for the nth attachment POST to info's parent (or one
    also accepts), or None."""
    return take_fault(lambda f: (
        f.get("attachment") == n
        and f.get("parent_id", info["parent_id"]) == info["parent_id"])
        or (also is not None and also(f)))


def exchange_size(n, name):
    # Exchange's size, not the file length.
    return n + 180 + len(name.encode("utf-8"))


def add_attachment(info, a):
    a.setdefault("lastModifiedDateTime", now_iso() + "Z")
    with lock:
        parent_state(info)["attachments"].append(a)
    return a


def add_session_attachment(sess):
    """The attachment an upload session made; sess.lock is held."""
    item = sess.item
    add_attachment(sess.info, {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "id": sess.attachment_id,
        "name": item["name"],
        "contentType": item.get("contentType", "application/octet-stream"),
        "size": exchange_size(sess.size, item["name"]),
        "isInline": item.get("isInline", False),
        "contentId": item.get("contentId"),
        "length": sess.size,
        "sha256": sess.sha.hexdigest(),
        "via": "session",
        "session": sess.id,
    })


def attachment_view(a):
    """An attachment as Graph lists it: no contentBytes (nor item), none
    of the stand-in's own fields."""
    v = {"@odata.type": a["@odata.type"], "id": a["id"],
         "lastModifiedDateTime": a["lastModifiedDateTime"],
         "name": a["name"], "contentType": a["contentType"],
         "size": a["size"], "isInline": a["isInline"]}
    if a["@odata.type"] == "#microsoft.graph.fileAttachment":
        v["contentId"] = a["contentId"]
        v["contentLocation"] = None
    return v


def record_kind(method, path):
    """A Graph request's record kind, by its method and path alone."""
    if path.split("?", 1)[0].endswith("/createUploadSession"):
        return "create"
    try:
        info = check_path(path)
    except GraphError:
        return "attach"
    if info["kind"] == "one" and method in ("GET", "DELETE"):
        return "delete" if method == "DELETE" else "get"
    if info["kind"] == "attach" and method == "GET":
        return "list"
    return "attach"


def find_attachment(info):
    """(the parent's list, index) of info's attachment id, or None; call
    with lock held."""
    p = state["parents"].get(parent_key(info))
    if p is None:
        return None
    for i, a in enumerate(p["attachments"]):
        if a["id"] == info["attachment_id"]:
            return p, i
    return None


def find_session(path):
    """The session whose uploadUrl path is path (query removed), or None."""
    try:
        plain = urllib.parse.unquote(path, errors="strict")
    except UnicodeDecodeError:
        return None
    if plain.startswith("/_upload/"):
        sid = plain[len("/_upload/"):]
    else:
        m = OUTLOOK_SESSION_RE.search(plain)
        if not m:
            return None
        sid = m.group(1)
    with lock:
        s = state["sessions"].get(sid)
    if s is None or urllib.parse.unquote(s.url_path) != plain:
        return None
    return s


def is_upload_path(path):
    path = path.split("?", 1)[0]
    return path.startswith("/_upload/") or (
        path.startswith("/api/") and "AttachmentSessions" in
        urllib.parse.unquote(path))


def check_reply_ids(obj):
    """PUT /_reply_ids: raises ValueError for what it does not take."""
    if not isinstance(obj, dict):
        raise ValueError("a JSON object is expected")
    for k, v in obj.items():
        if k not in ("request_id", "client_request_id"):
            raise ValueError("unknown key %r" % k)
        vals = v if isinstance(v, list) and k == "request_id" else [v]
        for one in vals:
            if one is None and not isinstance(v, list):
                continue
            if not isinstance(one, str) or any(ord(c) > 255 for c in one):
                raise ValueError("%s: strings of bytes (U+0000-U+00FF) "
                                 "or null" % k)


def fault_error(f):
    status = f["status"]
    code = f.get("code") or FAULT_CODES.get(status) or (
        "BadRequest" if 400 <= status < 500 else "InternalServerError")
    h = dict(f.get("headers") or {})
    if "retry_after" in f:
        h["Retry-After"] = str(f["retry_after"])
    return GraphError(status, code, f.get("message")
                      or "A fault the test asked for (%d)." % status, h)


def note(rec, **kv):
    with lock:
        rec.update(kv)


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
            # a list: the header repeated (PUT /_reply_ids)
            for one in (v if isinstance(v, list) else [v]):
                self.send_header(k, one)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 204:
            self.wfile.write(body)

    def send_json(self, status, obj, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        self.send_bytes(status, json.dumps(obj).encode("utf-8"), h)

    def start_ids(self, rec):
        """Graph's ids for this answer: (request-id, client-request-id),
        and self.id_headers, what the answer's headers say."""
        rid = str(uuid.uuid4())
        crid = self.headers.get("client-request-id") or rid
        h = {"request-id": rid, "client-request-id": crid}
        with lock:
            o = state["reply_ids"]
        for key, name in (("request_id", "request-id"),
                          ("client_request_id", "client-request-id")):
            if o and key in o:
                if o[key] is None:
                    del h[name]
                else:
                    h[name] = o[key]
        self.id_headers = h
        note(rec, request_id=h.get("request-id"))
        return rid, crid

    def send_graph_error(self, rec, e, rid, crid):
        note(rec, status=e.status, error_code=e.code)
        h = dict(self.id_headers)
        h.update(e.headers)
        if e.status == 405 and "Allow" not in h:
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

    def hang_up(self, rec=None):
        """Closes the connection without an answer."""
        self.close_connection = True
        self.body_done = True
        if rec is not None:
            note(rec, status=None, dropped=True, request_id=None)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def new_record(self, kind):
        rec = {
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_b64": "",
            "body_read": True,
            "time": time.time(),
            "kind": kind,
        }
        with lock:
            state["records"].append(rec)
        return rec

    def read_body(self):
        """Reads the body as sent; returns (bytes, error or None)."""
        self.body_done = True
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
            if self.command in ("GET", "HEAD", "DELETE", "OPTIONS"):
                return b"", None        # no body: on to the 405
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

    def body_length(self):
        """Content-Length as a number; None when absent; raises GraphError
        (and dooms the connection) when chunked or not a number."""
        te = self.headers.get("Transfer-Encoding")
        cl = self.headers.get("Content-Length")
        if te is not None and te.lower() != "identity":
            self.close_connection = True
            self.body_done = True
            raise GraphError(411, "LengthRequired",
                             "Content-Length is required.")
        if cl is None:
            return None
        try:
            n = int(cl)
            if n < 0 or str(n) != cl.strip():
                raise ValueError()
        except ValueError:
            self.close_connection = True
            self.body_done = True
            raise GraphError(400, "BadRequest", "Invalid Content-Length.")
        return n

    def read_into(self, out, n):
        """Copies n body bytes to the file out, PIECE at a time.  Returns
        (complete, bytes read, sha256 hex of them)."""
        self.body_done = True
        sha = hashlib.sha256()
        got = 0
        self.connection.settimeout(BODY_TIMEOUT)
        try:
            while got < n:
                piece = self.rfile.read(min(PIECE, n - got))
                if not piece:
                    break
                if out is not None:
                    out.write(piece)
                sha.update(piece)
                got += len(piece)
        except (OSError, ValueError):
            pass
        finally:
            try:
                self.connection.settimeout(None)
            except OSError:
                pass
        if got < n:
            self.close_connection = True
        return got == n, got, sha.hexdigest()

    def drain(self):
        """Reads and drops whatever body the request has, unless already
        done; closes the connection when that is not possible."""
        if self.body_done:
            return
        try:
            n = self.body_length()
        except GraphError:
            return
        self.body_done = True
        if n:
            self.read_into(None, n)

    # --- control endpoints ----------------------------------------------

    def control(self):
        path = self.path.split("?", 1)[0]
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        self.body_done = True
        if path == "/_health":
            return self.send_bytes(200, b"ok", {"Content-Type": "text/plain"})
        if path == "/_records":
            with lock:
                if self.command == "DELETE":
                    state["records"] = []
                    return self.send_json(200, [])
                out = json.dumps(state["records"]).encode("utf-8")
            return self.send_bytes(200, out,
                                   {"Content-Type": "application/json"})
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
        if path == "/_reply_ids":
            return self.control_reply_ids(body)
        if path == "/_upload_config":
            return self.control_config(body)
        if path == "/_upload_faults":
            return self.control_faults(body)
        if path == "/_sessions" or path.startswith("/_sessions/"):
            return self.control_sessions(path)
        if path == "/_attachments":
            return self.control_attachments()
        return self.send_json(404, {"error": "no such control endpoint"})

    def control_reply_ids(self, body):
        if self.command in ("PUT", "POST"):
            try:
                obj = json.loads(body or b"{}")
                check_reply_ids(obj)
            except ValueError as e:
                return self.send_json(400, {"error": str(e)})
            with lock:
                state["reply_ids"] = obj
        elif self.command == "DELETE":
            with lock:
                state["reply_ids"] = None
        with lock:
            out = state["reply_ids"]
        return self.send_json(200, out)

    def control_config(self, body):
        if self.command in ("PUT", "POST"):
            try:
                obj = json.loads(body or b"{}")
                check_config(obj)
            except ValueError as e:
                return self.send_json(400, {"error": str(e)})
            with lock:
                state["config"].update(obj)
        elif self.command == "DELETE":
            with lock:
                state["config"] = dict(DEFAULT_CONFIG)
        with lock:
            cfg = dict(state["config"])
        return self.send_json(200, cfg)

    def control_faults(self, body):
        if self.command in ("PUT", "POST"):
            try:
                obj = json.loads(body or b"[]")
                faults = obj if isinstance(obj, list) else [obj]
                for f in faults:
                    check_fault(f)
            except ValueError as e:
                return self.send_json(400, {"error": str(e)})
            with lock:
                if self.command == "PUT":
                    state["faults"] = []
                for f in faults:
                    f = dict(f)
                    f["fired"] = 0
                    state["faults"].append(f)
        elif self.command == "DELETE":
            with lock:
                state["faults"] = []
        with lock:
            out = [dict(f) for f in state["faults"]]
        return self.send_json(200, out)

    def control_attachments(self):
        if self.command == "DELETE":
            with lock:
                state["parents"] = {}
            return self.send_json(200, [])
        query = self.path.partition("?")[2]
        paths = urllib.parse.parse_qs(query).get("path")
        if not paths:
            with lock:
                out = json.dumps(list(state["parents"].values()))
            return self.send_bytes(200, out.encode("utf-8"),
                                   {"Content-Type": "application/json"})
        try:
            info = check_path(paths[0])
        except GraphError as e:
            return self.send_json(400, {"error": e.message})
        with lock:
            p = state["parents"].get(parent_key(info))
            out = json.dumps(p if p is not None else {
                "user": info["user"], "parent": info["parent"],
                "parent_id": info["parent_id"], "attempts": 0,
                "attachments": [], "deleted": []})
        return self.send_bytes(200, out.encode("utf-8"),
                               {"Content-Type": "application/json"})

    def control_sessions(self, path):
        if path == "/_sessions":
            with lock:
                sessions = list(state["sessions"].values())
                if self.command == "DELETE":
                    state["sessions"] = {}
            if self.command == "DELETE":
                for s in sessions:
                    s.cancel()
                    try:
                        os.unlink(s.file)
                    except OSError:
                        pass
                return self.send_json(200, [])
            return self.send_json(200, [s.to_json() for s in sessions])

        rest = path[len("/_sessions/"):].split("/")
        with lock:
            s = state["sessions"].get(rest[0])
        if s is None or len(rest) > 2 or (len(rest) == 2
                                          and rest[1] != "file"):
            return self.send_json(404, {"error": "no such session"})
        if len(rest) == 1:
            return self.send_json(200, s.to_json())
        with s.lock:
            n = s.received
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        with open(s.file, "rb") as f:
            left = n
            while left > 0:
                piece = f.read(min(left, PIECE))
                if not piece:
                    break
                self.wfile.write(piece)
                left -= len(piece)

    # --- requests --------------------------------------------------------

    def handle_any(self):
        self.body_done = False
        if is_upload_path(self.path):
            return self.upload()
        if self.path.startswith("/_"):
            return self.control()

        body, err = self.read_body()
        rec = self.new_record(record_kind(self.command, self.path))
        rid, crid = self.start_ids(rec)
        canned = None
        with lock:
            rec["body_b64"] = base64.b64encode(body or b"").decode("ascii")
            rec["body_read"] = body is not None
            if state["queue"]:
                canned = state["queue"].pop(0)

        if canned is not None:
            return self.send_canned(rec, canned, rid, crid)

        try:
            if err is not None:
                raise err
            answer = self.graph(rec, body)
        except GraphError as e:
            return self.send_graph_error(rec, e, rid, crid)
        if answer is None:          # a dropped connection
            return
        status, obj, extra = answer

        note(rec, status=status)
        h = {
            "Content-Type": "application/json;odata.metadata=minimal;"
                            "odata.streaming=true;IEEE754Compatible=false;"
                            "charset=utf-8",
        }
        h.update(self.id_headers)
        h.update(extra)
        if status == 204:
            del h["Content-Type"]
            return self.send_bytes(204, b"", h)
        return self.send_json(status, obj, h)

    def send_canned(self, rec, c, rid, crid):
        if c.get("delay"):
            time.sleep(float(c["delay"]))
        status = int(c.get("status", 200))
        note(rec, status=status, canned=True)
        h = dict(self.id_headers)
        h.update(c.get("headers") or {})
        note(rec, request_id=h.get("request-id"))
        if "json" in c:
            h.setdefault("Content-Type", "application/json")
            body = json.dumps(c["json"]).encode("utf-8")
        else:
            body = (c.get("body") or "").encode("utf-8")
        if c.get("close"):
            self.close_connection = True
            h["Connection"] = "close"
        return self.send_bytes(status, body, h)

    def graph(self, rec, body):
        """A request on a Graph path: (status, obj, headers), or None when
        the connection was dropped on purpose; raises GraphError."""
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

        info = check_path(self.path)

        if info["kind"] == "one":
            return self.one_attachment(rec, info)
        if info["kind"] == "attach" and self.command == "GET":
            return self.list_attachments(rec, info)

        if self.command != "POST":
            raise GraphError(405, "Request_BadRequest",
                             "Unsupported method.")

        ct = (self.headers.get("Content-Type") or "").split(";")[0]
        if ct.strip().lower() != "application/json":
            raise GraphError(415, "UnsupportedMediaType",
                             "Content-Type must be application/json.")

        if info["kind"] == "create":
            return self.create_session(rec, body, info)
        return self.attach(rec, body, info)

    def attach(self, rec, body, info):
        obj = parse_json_object(body)
        if obj.get("@odata.type") == "#microsoft.graph.itemAttachment":
            att, data = check_item_attachment(obj), None
        else:
            att, data = check_file_attachment(obj)

        n = count_attempt(info)
        note(rec, attempt=n)
        made = None
        f = attachment_fault(info, n)
        if f is not None:
            note(rec, fault=f)
            if f.get("commit"):
                made = self.make_attachment(info, att, data)
            if f.get("stall"):
                time.sleep(f["stall"])
            if f.get("drop"):
                return self.hang_up(rec)
            if "status" in f:
                raise fault_error(f)
        if made is None:
            made = self.make_attachment(info, att, data)
        out, loc = made
        return 201, out, {"Location": loc}

    def make_attachment(self, info, att, data):
        """The 201's body and Location for a judged attachment, now kept
        in its message or event."""
        version = info["version"]
        with lock:
            state["counter"] += 1
            n = state["counter"]
        if data is None:
            return self.make_item_attachment(info, att, n)
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
        add_attachment(info, {
            "@odata.type": out["@odata.type"], "id": aid,
            "lastModifiedDateTime": out["lastModifiedDateTime"],
            "name": out["name"], "contentType": out["contentType"],
            "size": out["size"], "isInline": out["isInline"],
            "contentId": out["contentId"], "length": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "via": "post",
        })
        loc = "https://graph.microsoft.com%s('%s')" % (
            self.path.split("?", 1)[0], aid)
        return out, loc

    # --- item attachments, and what a message holds ---------------------

    def make_item_attachment(self, info, att, n):
        aid = "AAMkAGI1Standin" + base64.b64encode(
            b"itm-%08d" % n).decode("ascii")
        item = json.dumps(att["item"], separators=(",", ":"))
        out = {
            "@odata.context": "https://graph.microsoft.com/%s/$metadata#"
                              "users('standin')/messages('standin')/"
                              "attachments/$entity" % info["version"],
            "@odata.type": "#microsoft.graph.itemAttachment",
            "id": aid,
            "lastModifiedDateTime": now_iso() + "Z",
            "name": att["name"],
            "contentType": att.get("contentType"),
            "size": exchange_size(len(item.encode("utf-8")), att["name"]),
            "isInline": att.get("isInline", False),
        }
        a = dict(out)
        del a["@odata.context"]
        a.update({"contentId": None, "length": None, "sha256": None,
                  "via": "post", "item": att["item"]})
        add_attachment(info, a)
        loc = "https://graph.microsoft.com%s('%s')" % (
            self.path.split("?", 1)[0], aid)
        return out, loc

    def list_attachments(self, rec, info):
        """GET {attachment path}: what the message or event holds, as
        Graph lists it (a message never seen holds nothing)."""
        with lock:
            p = state["parents"].get(parent_key(info))
            value = [attachment_view(a) for a in p["attachments"]] \
                if p else []
        return 200, {
            "@odata.context": "https://graph.microsoft.com/%s/$metadata#"
                              "users('%s')/%s('%s')/attachments" % (
                                  info["version"], info["user"],
                                  info["parent"].lower(), info["parent_id"]),
            "value": value,
        }, {}

    def one_attachment(self, rec, info):
        """GET or DELETE {attachment path}/{id}."""
        if self.command not in ("GET", "DELETE"):
            raise GraphError(405, "Request_BadRequest",
                             "Unsupported method.", {"Allow": "GET, DELETE"})
        with lock:
            hit = find_attachment(info)
            if hit is not None:
                p, i = hit
                a = p["attachments"][i]
                if self.command == "DELETE":
                    p["deleted"].append(p["attachments"].pop(i))
                a = attachment_view(a)
        if hit is None:
            raise GraphError(404, "ErrorItemNotFound",
                             "The specified object was not found in the "
                             "store.")
        if self.command == "DELETE":
            return 204, None, {}
        a["@odata.context"] = "https://graph.microsoft.com/%s/$metadata#" \
            "users('%s')/%s('%s')/attachments/$entity" % (
                info["version"], info["user"], info["parent"].lower(),
                info["parent_id"])
        return 200, a, {}

    def create_session(self, rec, body, info):
        with lock:
            cfg = dict(state["config"])
        item = check_session_body(body, cfg)
        origin = cfg["origin"] or "http://%s:%d" % (
            self.server.server_address[0], self.server.server_address[1])
        path = self.path.split("?", 1)[0]

        def make():
            s = Session(info, item, path, cfg, origin)
            with lock:
                state["sessions"][s.id] = s
            note(rec, session=s.id)
            return s

        n = count_attempt(info)
        note(rec, attempt=n)
        sess = None
        f = attachment_fault(info, n, lambda f: f.get("create"))
        if f is not None:
            note(rec, fault=f)
            if f.get("drop") == "early":
                return self.hang_up(rec)
            if f.get("commit"):
                sess = make()
            if f.get("stall"):
                time.sleep(f["stall"])
            if f.get("drop"):
                return self.hang_up(rec)
            if "status" in f:
                raise fault_error(f)
        if sess is None:
            sess = make()
        return 201, {
            "@odata.context": "https://graph.microsoft.com/%s/$metadata#"
                              "microsoft.graph.uploadSession"
                              % info["version"],
            "uploadUrl": sess.upload_url,
            "expirationDateTime": sess.expires,
            "nextExpectedRanges": ["0-"],
        }, {}

    # --- the uploadUrl ---------------------------------------------------

    def upload(self):
        rec = self.new_record("upload")
        rid, crid = self.start_ids(rec)
        path, _, query = self.path.partition("?")
        try:
            if self.headers.get("Authorization") is not None:
                raise GraphError(401, "InvalidAuthenticationToken",
                                 "An upload URL carries its own "
                                 "credential: send no Authorization "
                                 "header.")
            sess = find_session(path)
            if sess is None or sess.cancelled or sess.complete:
                raise GraphError(404, "ErrorItemNotFound",
                                 "The upload session does not exist.")
            note(rec, session=sess.id)
            toks = urllib.parse.parse_qs(query, keep_blank_values=True).get(
                "authtoken", [])
            if len(toks) != 1 or not secrets.compare_digest(
                    toks[0].encode("utf-8"), sess.secret.encode("utf-8")):
                raise GraphError(401, "InvalidAuthenticationToken",
                                 "The authtoken is missing or invalid.")
            if self.command == "DELETE":
                return self.upload_delete(rec, sess, rid, crid)
            if self.command != "PUT":
                raise GraphError(405, "ErrorInvalidRequest",
                                 "Unsupported method.",
                                 {"Allow": "PUT, DELETE"})
            return self.upload_put(rec, sess, rid, crid)
        except GraphError as e:
            self.drain()
            return self.send_graph_error(rec, e, rid, crid)

    def upload_delete(self, rec, sess, rid, crid):
        self.drain()
        f = take_fault(lambda f: f.get("delete"))
        if f is not None:
            note(rec, fault=f)
            if f.get("drop") == "early":
                return self.hang_up(rec)
            if f.get("commit"):
                sess.cancel()
            if f.get("stall"):
                time.sleep(f["stall"])
            if f.get("drop"):
                return self.hang_up(rec)
            if "status" in f:
                raise fault_error(f)
        sess.cancel()
        note(rec, status=204)
        return self.send_bytes(204, b"", dict(self.id_headers))

    def upload_put(self, rec, sess, rid, crid):
        cl = self.body_length()
        if cl is None:
            self.close_connection = True
            self.body_done = True
            raise GraphError(411, "LengthRequired",
                             "Content-Length is required.")
        ct = (self.headers.get("Content-Type") or "").strip().lower()
        if ct != "application/octet-stream":
            raise GraphError(415, "UnsupportedMediaType",
                             "Content-Type must be "
                             "application/octet-stream.")
        cr = self.headers.get("Content-Range")
        m = RANGE_RE.match(cr or "")
        if not m:
            raise GraphError(400, "InvalidContentRange",
                             "Content-Range must be 'bytes START-END/TOTAL'.")
        start, end, total = (int(x) for x in m.groups())
        note(rec, range=[start, end, total])
        if end < start or end >= total:
            raise GraphError(400, "InvalidContentRange",
                             "The range %d-%d is not within 0-%d."
                             % (start, end, total - 1))
        if total != sess.size:
            raise GraphError(400, "InvalidContentRange",
                             "The upload session is for %d bytes, the range "
                             "declares a total of %d." % (sess.size, total))
        n = end - start + 1
        if n > sess.cfg["max_chunk"]:
            raise GraphError(400, "ChunkTooLarge",
                             "A range is at most %d bytes; this one is %d."
                             % (sess.cfg["max_chunk"], n))
        if cl != n:
            raise GraphError(400, "ContentLengthMismatch",
                             "The Content-Range length %d does not match "
                             "the Content-Length %d." % (n, cl))

        with sess.lock:
            sess.puts += 1
            attempt = sess.ranges + 1
        last = end == total - 1
        f = take_fault(lambda f: "range" in f and (
            f["range"] == attempt or (f["range"] == "last" and last)))
        if f is not None:
            note(rec, fault=f)
            if f.get("drop") == "early":
                return self.hang_up(rec)

        with tempfile.TemporaryFile(dir=state["tmpdir"]) as tmp:
            ok, got, digest = self.read_into(tmp, n)
            note(rec, body_length=got, body_sha256=digest, body_read=ok)
            if not ok:
                return self.hang_up(rec)
            result = None
            if f is not None:
                if f.get("commit"):
                    try:
                        result = sess.commit(start, n, tmp)
                    except GraphError as e:
                        result = e
                if f.get("stall"):
                    time.sleep(f["stall"])
                if f.get("drop"):
                    return self.hang_up(rec)
                if "status" in f:
                    raise fault_error(f)
            if result is None:
                result = sess.commit(start, n, tmp)
            elif isinstance(result, GraphError):
                raise result
        status, extra = result

        note(rec, status=status)
        h = dict(self.id_headers)
        if status == 201:
            h["Location"] = extra["location"]
            return self.send_bytes(201, b"", h)
        q = urllib.parse.quote
        h["Content-Type"] = "application/json;odata.metadata=minimal;" \
            "odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
        return self.send_json(200, {
            "@odata.context": "https://outlook.office.com/api/v2.0/"
                              "$metadata#Users('%s')/%s('%s')/"
                              "AttachmentSessions/$entity" % (
                                  q(sess.info["user"], safe=""),
                                  sess.info["parent"],
                                  q(sess.info["parent_id"], safe="")),
            "ExpirationDateTime": sess.expires,
            "nextExpectedRanges": extra["ranges"],
        }, h)

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


def stop(signum, frame):
    raise KeyboardInterrupt()


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: graph_standin.py PORT [TOKEN ...]\n")
        sys.exit(2)
    port = int(sys.argv[1])
    state["tokens"] = set(sys.argv[2:])
    base = os.environ.get("GRAPH_STANDIN_TMPDIR") or None
    state["tmpdir"] = tempfile.mkdtemp(prefix="graph-standin-", dir=base)
    signal.signal(signal.SIGTERM, stop)
    try:
        srv = Server(("127.0.0.1", port), Handler)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(state["tmpdir"], ignore_errors=True)


if __name__ == "__main__":
    main()
