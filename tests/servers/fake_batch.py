# SPDX-License-Identifier: MIT
"""The batch APIs of the fake teacher (tests/servers/fake_teacher.py):
OpenAI (/v1/files, /v1/batches, /v1/files/ID/content), Anthropic
(/v1/messages/batches, .../ID, .../ID/results) and Gemini
(/v1beta/models/M:batchGenerateContent, /v1beta/batches, /v1beta/batches/N).

A batch moves through its provider's states on the clock (--batch-delay
seconds from creation to the end: OpenAI validating, in_progress,
finalizing; Anthropic in_progress; Gemini PENDING, RUNNING) and ends as
--batch-ends says for successive batches (completed by default; expired
and cancelled end with half the requests processed and the rest without
a result; failed ends with none).  Its answers are made when it ends, by
the same code as the synchronous APIs, and counted as paid per custom_id
(GET /stats: batch_paid, batch_paid_dup, batch_custom_ids_live_twice).
--batch-error-every N makes every Nth request processed a per-request
error (OpenAI's error file, Anthropic's errored, Gemini's error).
--poll-faults and --download-faults are comma lists applied to successive
polls and result downloads: ok, NNN (an HTTP status), leak:NNN (a JSON
error whose message holds the API key), truncate (half the body, then
the connection closes).  --stall KIND:N makes the Nth request of KIND
(upload, create, create-after, poll, download) hang for a minute -- for
create-after once the batch exists -- so that a test can kill the client
there; GET /stats "stalled" counts them.
"""

import json
import threading
import time

LOCK = threading.Lock()
FILES = {}          # id -> bytes
BATCHES = {}        # id -> dict (our record)
ORDER = []          # ids, oldest first
COUNTS = {"seq": 0, "processed": 0, "polls": 0, "downloads": 0,
          "stalled": 0, "kinds": {}}
PAID = {}           # custom_id -> answers made
LIVE_IDS = {}       # custom_id -> live batches holding it (max seen kept)
TWICE = set()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + \
        ".%06dZ" % int((t % 1) * 1e6)


def next_id(prefix):
    COUNTS["seq"] += 1
    return "%s%d" % (prefix, COUNTS["seq"])


def stats():
    with LOCK:
        dup = {k: c for k, c in PAID.items() if c > 1}
        return {"batches": len(BATCHES), "batch_paid": sum(PAID.values()),
                "batch_paid_keys": len(PAID), "batch_paid_dup": len(dup),
                "batch_custom_ids_live_twice": len(TWICE),
                "polls": COUNTS["polls"], "downloads": COUNTS["downloads"],
                "stalled": COUNTS["stalled"],
                "batch_requests": sum(len(b["requests"])
                                      for b in BATCHES.values())}


def count_kind(kind):
    """The number of this request of kind, 1-based; stalls if asked."""
    with LOCK:
        n = COUNTS["kinds"].get(kind, 0) + 1
        COUNTS["kinds"][kind] = n
    return n


def maybe_stall(h, kind, n):
    for spec in h.STATE.args.stall:
        k, _, m = spec.partition(":")
        if k == kind and int(m) == n:
            with LOCK:
                COUNTS["stalled"] += 1
            end = time.time() + 60
            while time.time() < end:
                time.sleep(0.05)
            h.close_connection = True
            return True
    return False


def fault_of(h, listname, n):
    faults = [f for f in getattr(h.STATE.args, listname).split(",") if f]
    return faults[n - 1] if n <= len(faults) else "ok"


def send_fault(h, api, fault):
    """Sends an injected poll or download fault; True when one was sent."""
    if fault == "ok" or fault == "truncate":
        return False
    if fault.startswith("leak:"):
        st = int(fault[5:])
        key = h.sent_key(api)
        h.send_json(st, h.error_body(api, st, "the key " + key + " failed"))
        return True
    st = int(fault)
    h.send_json(st, h.error_body(api, st, "injected fault"))
    return True


def send_body(h, data, fault, ctype="application/jsonl"):
    if fault == "truncate":
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data[:len(data) // 2])
        h.wfile.flush()
        h.close_connection = True
        return
    h.send_raw(200, data, ctype=ctype)


# ---- processing ------------------------------------------------------------

def end_of(h, b):
    ends = [e for e in h.STATE.args.batch_ends.split(",") if e]
    i = b["n"] - 1
    return ends[i] if i < len(ends) else "completed"


def answer_one(h, api, model, body):
    """(ok, response body or error message) for one request."""
    try:
        m, prompt, n, p = h.validate(api, model, body)
    except ValueError as e:
        return False, str(e)
    return True, h.answer(api, m, prompt, n, p)


def process(h, b):
    """Ends batch b: makes its answers (counted as paid) and results."""
    end = end_of(h, b)
    reqs = b["requests"]
    upto = len(reqs) if end == "completed" else \
        0 if end == "failed" else len(reqs) // 2
    every = h.STATE.args.batch_error_every
    results = []
    for i, (cid, api, model, body) in enumerate(reqs):
        if i >= upto:
            results.append((cid, "unprocessed", None))
            continue
        with LOCK:
            COUNTS["processed"] += 1
            k = COUNTS["processed"]
        if every and k % every == 0:
            results.append((cid, "error", "injected per-request error"))
            continue
        ok, out = answer_one(h, api, model, body)
        if ok:
            with LOCK:
                PAID[cid] = PAID.get(cid, 0) + 1
            results.append((cid, "ok", out))
        else:
            results.append((cid, "error", out))
    with LOCK:
        for cid, _, _, _ in reqs:
            LIVE_IDS[cid] = LIVE_IDS.get(cid, 1) - 1
    b["end"] = end
    b["results"] = results
    b["ended_at"] = time.time()
    if b["provider"] == "openai":
        out, err = [], []
        for cid, kind, x in results:
            if kind == "ok":
                out.append({"id": "req_" + cid[:8], "custom_id": cid,
                            "response": {"status_code": 200,
                                         "request_id": "r" + cid[:6],
                                         "body": x}, "error": None})
            elif kind == "error":
                err.append({"id": "req_" + cid[:8], "custom_id": cid,
                            "response": {"status_code": 500,
                                         "request_id": "r" + cid[:6],
                                         "body": {"error": {
                                             "message": x,
                                             "type": "server_error"}}},
                            "error": None})
        for name, lines in (("output_file_id", out), ("error_file_id", err)):
            if lines:
                fid = next_id("file-out")
                FILES[fid] = "".join(json.dumps(x) + "\n"
                                     for x in lines).encode()
                b["obj"][name] = fid


def states(provider):
    return {"openai": ["validating", "in_progress", "finalizing"],
            "anthropic": ["in_progress"] * 3,
            "gemini": ["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING",
                       "BATCH_STATE_RUNNING"]}[provider]


def advance(h, b):
    """Brings b's public object up to the clock."""
    t = time.time() - b["created"]
    d = h.STATE.args.batch_delay
    if "end" not in b and t >= d:
        process(h, b)
    o = b["obj"]
    total = len(b["requests"])
    if "end" not in b:
        st = states(b["provider"])[min(2, int(3 * t / d)) if d > 0 else 2]
        if b["provider"] == "openai":
            o["status"] = st
        elif b["provider"] == "anthropic":
            o["processing_status"] = st
        else:
            o["metadata"]["state"] = st
        return
    res = b["results"]
    ok = sum(1 for r in res if r[1] == "ok")
    bad = sum(1 for r in res if r[1] == "error")
    end = b["end"]
    if b["provider"] == "openai":
        o["status"] = end
        o["request_counts"] = {"total": total, "completed": ok,
                               "failed": bad}
        if end == "failed":
            o["errors"] = {"object": "list", "data": [
                {"code": "invalid_request",
                 "message": "injected validation failure"}]}
    elif b["provider"] == "anthropic":
        o["processing_status"] = "ended"
        o["ended_at"] = iso(b["ended_at"])
        left = total - ok - bad
        o["request_counts"] = {"processing": 0, "succeeded": ok,
                               "errored": bad,
                               "canceled": left if end == "cancelled" else 0,
                               "expired": left if end != "cancelled" else 0}
        o["results_url"] = "http://127.0.0.1:%d/v1/messages/batches/%s/" \
            "results" % (h.server.server_address[1], o["id"])
    else:
        o["metadata"]["state"] = {"completed": "BATCH_STATE_SUCCEEDED",
                                  "expired": "BATCH_STATE_EXPIRED",
                                  "cancelled": "BATCH_STATE_CANCELLED",
                                  "failed": "BATCH_STATE_FAILED"}[end]
        o["metadata"]["batchStats"] = {"requestCount": str(total),
                                       "successfulRequestCount": str(ok),
                                       "failedRequestCount": str(bad)}
        o["done"] = True
        if end == "failed":
            o["error"] = {"code": 13, "message": "injected batch failure"}
        else:
            items = []
            for cid, kind, x in res:
                if kind == "ok":
                    items.append({"response": x})
                elif kind == "error":
                    items.append({"error": {"code": 500, "message": x}})
                else:
                    items.append({"error": {"code": 4,
                                            "message": "batch expired"}})
            o["response"] = {
                "@type": "type.googleapis.com/google.ai.generativelanguage."
                         "v1main.GenerateContentBatchOutput",
                "inlinedResponses": {"inlinedResponses": items}}


def new_batch(h, provider, obj, reqs):
    with LOCK:
        for cid, _, _, _ in reqs:
            LIVE_IDS[cid] = LIVE_IDS.get(cid, 0) + 1
            if LIVE_IDS[cid] > 1:
                TWICE.add(cid)
        n = len(BATCHES) + 1
        b = {"provider": provider, "obj": obj, "requests": reqs,
             "created": time.time(), "n": n}
        BATCHES[obj.get("id") or obj.get("name")] = b
        ORDER.append(obj.get("id") or obj.get("name"))
    return b


# ---- routes ------------------------------------------------------------------

def multipart_file(h, raw):
    ctype = h.headers.get("Content-Type", "")
    if "boundary=" not in ctype:
        raise ValueError("not multipart/form-data")
    bd = ctype.split("boundary=", 1)[1].strip().strip('"').encode()
    fields, data = {}, None
    for part in raw.split(b"--" + bd):
        if b"\r\n\r\n" not in part:
            continue
        head, _, body = part.partition(b"\r\n\r\n")
        body = body[:-2] if body.endswith(b"\r\n") else body
        head = head.decode("utf-8", "replace")
        if 'name="file"' in head:
            data = body
        elif 'name="purpose"' in head:
            fields["purpose"] = body.decode()
    if data is None or fields.get("purpose") != "batch":
        raise ValueError("a file part and purpose=batch are required")
    return data


def post(h, path, raw):
    """Handles a batch POST; False when path is not one of them."""
    if path == "/v1/files":
        api = "chat"
    elif path == "/v1/batches":
        api = "chat"
    elif path == "/v1/messages/batches":
        api = "anthropic"
    elif path.startswith("/v1beta/models/") and \
            path.endswith(":batchGenerateContent"):
        api = "gemini"
    else:
        return False
    entry = {}
    if not h.check_auth(api, entry):
        h.send_json(401, h.error_body(api, 401, "invalid api key"))
        return True
    try:
        if path == "/v1/files":
            n = count_kind("upload")
            if maybe_stall(h, "upload", n):
                return True
            data = multipart_file(h, raw)
            with LOCK:
                fid = next_id("file-")
                FILES[fid] = data
            h.send_json(200, {"id": fid, "object": "file", "bytes": len(data),
                              "purpose": "batch", "filename": "input.jsonl"})
            return True
        body = json.loads(raw.decode("utf-8"))
        n = count_kind("create")
        if maybe_stall(h, "create", n):
            return True
        if path == "/v1/batches":
            fid = body.get("input_file_id")
            if fid not in FILES:
                raise ValueError("no such file '%s'" % fid)
            if body.get("completion_window") != "24h":
                raise ValueError("completion_window must be 24h")
            ep = body.get("endpoint")
            reqs = []
            for line in FILES[fid].decode().splitlines():
                x = json.loads(line)
                if x.get("method") != "POST" or x.get("url") != ep:
                    raise ValueError("line url must be the endpoint")
                kind = "chat" if ep == "/v1/chat/completions" else \
                    "completions"
                reqs.append((x["custom_id"], kind, None, x["body"]))
            if len(set(r[0] for r in reqs)) != len(reqs):
                raise ValueError("custom_id must be unique")
            with LOCK:
                bid = next_id("batch_")
            obj = {"id": bid, "object": "batch", "endpoint": ep,
                   "input_file_id": fid, "completion_window": "24h",
                   "status": "validating", "created_at": int(time.time()),
                   "output_file_id": None, "error_file_id": None,
                   "metadata": body.get("metadata"),
                   "request_counts": {"total": len(reqs), "completed": 0,
                                      "failed": 0}}
            new_batch(h, "openai", obj, reqs)
        elif path == "/v1/messages/batches":
            reqs = []
            for x in body["requests"]:
                cid = x["custom_id"]
                if not (1 <= len(cid) <= 64) or \
                        not all(c.isalnum() or c in "_-" for c in cid):
                    raise ValueError("custom_id '%s' is not 1-64 of "
                                     "[a-zA-Z0-9_-]" % cid)
                reqs.append((cid, "anthropic", None, x["params"]))
            with LOCK:
                bid = next_id("msgbatch_")
            now = time.time()
            obj = {"id": bid, "type": "message_batch",
                   "processing_status": "in_progress",
                   "request_counts": {"processing": len(reqs),
                                      "succeeded": 0, "errored": 0,
                                      "canceled": 0, "expired": 0},
                   "created_at": iso(now), "ended_at": None,
                   "expires_at": iso(now + 86400), "results_url": None}
            new_batch(h, "anthropic", obj, reqs)
        else:
            model = path[len("/v1beta/models/"):-len(":batchGenerateContent")]
            bb = body["batch"]
            items = bb["inputConfig"]["requests"]["requests"]
            reqs = [((x.get("metadata") or {}).get("key", str(i)), "gemini",
                     model, x["request"]) for i, x in enumerate(items)]
            with LOCK:
                bid = next_id("batches/")
            obj = {"name": bid, "done": False, "metadata": {
                "@type": "type.googleapis.com/google.ai.generativelanguage."
                         "v1main.GenerateContentBatch",
                "model": "models/" + model,
                "displayName": bb.get("displayName"),
                "state": "BATCH_STATE_PENDING",
                "createTime": iso(time.time())}}
            new_batch(h, "gemini", obj, reqs)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        h.send_json(400, h.error_body(api, 400, "bad batch: %s" % e))
        return True
    if maybe_stall(h, "create-after", n):
        return True
    h.send_json(200, obj)
    return True


def get(h, path):
    """Handles a batch GET; False when path is not one of them."""
    if path.startswith("/v1/files/") and path.endswith("/content"):
        api, kind = "chat", "download"
    elif path == "/v1/batches" or path == "/v1/messages/batches" or \
            path == "/v1beta/batches":
        api = "chat" if path == "/v1/batches" else \
            "anthropic" if path.startswith("/v1/messages") else "gemini"
        kind = "list"
    elif path.startswith("/v1/batches/"):
        api, kind = "chat", "poll"
    elif path.startswith("/v1/messages/batches/") and \
            path.endswith("/results"):
        api, kind = "anthropic", "download"
    elif path.startswith("/v1/messages/batches/"):
        api, kind = "anthropic", "poll"
    elif path.startswith("/v1beta/batches/"):
        api, kind = "gemini", "poll"
    else:
        return False
    entry = {}
    if not h.check_auth(api, entry):
        h.send_json(401, h.error_body(api, 401, "invalid api key"))
        return True
    if kind == "list":
        with LOCK:
            ids = list(reversed(ORDER))
        objs = [BATCHES[i]["obj"] for i in ids
                if BATCHES[i]["provider"] == ("openai" if api == "chat"
                                              else api)]
        for i in ids:
            advance(h, BATCHES[i])
        if api == "gemini":
            h.send_json(200, {"operations": objs})
        else:
            h.send_json(200, {"object": "list", "data": objs,
                              "has_more": False})
        return True
    n = count_kind(kind)
    if maybe_stall(h, kind, n):
        return True
    with LOCK:
        COUNTS["polls" if kind == "poll" else "downloads"] += 1
    fault = fault_of(h, "poll_faults" if kind == "poll" else
                     "download_faults", n)
    if send_fault(h, api, fault):
        return True
    if kind == "poll":
        bid = path[len("/v1/batches/"):] if api == "chat" else \
            path[len("/v1/messages/batches/"):] if api == "anthropic" else \
            path[len("/v1beta/"):]
        b = BATCHES.get(bid)
        if b is None:
            h.send_json(404, h.error_body(api, 404, "no such batch"))
            return True
        advance(h, b)
        h.send_json(200, b["obj"])
        return True
    if api == "chat":
        fid = path[len("/v1/files/"):-len("/content")]
        if fid not in FILES:
            h.send_json(404, h.error_body(api, 404, "no such file"))
            return True
        send_body(h, FILES[fid], fault)
        return True
    bid = path[len("/v1/messages/batches/"):-len("/results")]
    b = BATCHES.get(bid)
    if b is None or "end" not in b:
        h.send_json(404, h.error_body(api, 404, "no results yet"))
        return True
    lines = []
    for cid, kind2, x in b["results"]:
        if kind2 == "ok":
            r = {"type": "succeeded", "message": x}
        elif kind2 == "error":
            r = {"type": "errored", "error": {"type": "error", "error": {
                "type": "api_error", "message": x}}}
        else:
            r = {"type": "canceled" if b["end"] == "cancelled"
                 else "expired"}
        lines.append(json.dumps({"custom_id": cid, "result": r}) + "\n")
    send_body(h, "".join(lines).encode(), fault)
    return True


def add_args(ap):
    ap.add_argument("--batch-delay", type=float, default=0.3)
    ap.add_argument("--batch-ends", default="")
    ap.add_argument("--batch-error-every", type=int, default=0)
    ap.add_argument("--poll-faults", default="")
    ap.add_argument("--download-faults", default="")
    ap.add_argument("--stall", action="append", default=[])
