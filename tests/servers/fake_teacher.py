#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fake teacher for the dss-teach tests: it speaks the OpenAI chat and
completions APIs, Anthropic Messages and Gemini generateContent on
127.0.0.1 (ephemeral port, printed as the first stdout line), answers from
scripted completions or a deterministic default, injects faults on demand
(429 with Retry-After, 5xx, connection reset, truncated body, malformed
JSON, a hang, a slow drip) and counts requests per key (the SHA-256 of the
request body minus volatile fields), so a test can assert that nothing was
paid twice (volatile fields: user, stream, stream_options; the K identical
bodies of a provider without n count K times).  GET /stats returns the counts as JSON.  It speaks the batch APIs of the
three providers too (tests/servers/fake_batch.py says how)
(--tls-cert and --tls-key serve HTTPS instead of HTTP); every request is also
logged as one JSON line with --log (API keys are never logged: only the
header's name and whether it matched --require-key).  Standard library
only; exits by itself after --lifetime seconds.  Each log line also holds
"inflight", the number of requests the server was answering when this one
arrived (itself included), so a test can watch the client's concurrency,
and "conn", the client's port, so a test can count its connections.

--script FILE holds JSON Lines {"match": SUBSTRING, "completion": TEXT or
[TEXT per sample], "finish_reason": "stop"|"length", "fault": KIND}; the
first entry whose match occurs in the prompt text answers.  An entry with
"fault" (matched against the raw request body) fails every request for
that prompt with KIND, unless --faults names a fault for that request.

Faults (--faults, a comma list applied to successive requests; --fault-every
N:KIND applies KIND to every Nth request, 1-based, and may repeat):
  ok          a normal answer
  NNN[:A]     HTTP status NNN (429, 500, 503, 529, 400, ...) with an error
              body in the provider's shape; A adds a throttling header:
              "S" is "Retry-After: S" (seconds), "@S" is Retry-After as an
              HTTP date S seconds ahead, "xr=DUR" is OpenAI's
              "x-ratelimit-reset-requests: DUR" with no requests remaining,
              "ar=S" is Anthropic's "anthropic-ratelimit-requests-reset"
              (an RFC 3339 time S seconds ahead) with none remaining
  reset       read the request, then close the socket with a TCP RST
  close       read the request, then close the socket without a response
  truncate    send the headers and half of the body, then close
  badjson     200 with a body that is not JSON
  empty       200 with no text: no choices (OpenAI), no content blocks
              (Anthropic), a candidate blocked with finishReason SAFETY and
              no content (Gemini)
  error200    200 with an error object as the body
  hang[:S]    read the request and answer nothing for S seconds (default:
              until the server exits) or until the client hangs up
  drip[:MS]   a correct answer sent one byte every MS ms (default 200)
  slow:MS     a correct answer after an extra MS ms
  leak:NNN    echo the API key the request carried: for NNN 200 a correct
              answer whose completion and raw body hold the key; otherwise
              HTTP NNN with a non-JSON body of 170 'x' then the key
  leakjson:NNN  HTTP NNN with a JSON error message of 280 'y' then the key
  leakesc:NNN as leak:NNN (a JSON error message for NNN other than 200),
              but every character of the key written as a \\uXXXX escape
  usage:P:C   a correct answer reporting P prompt and C completion tokens
              (any JSON numbers: -1000, 1e300, 2.5)
  bighead:KB  a correct answer with one response header of KB KiB
  bigbody:MB  200 with a JSON body of MB MiB
  deep:N      200 with a JSON body nested N arrays deep
  redirect:NNN  HTTP NNN (301, 302, 307) to /elsewhere, with no body
"""

import argparse
import hashlib
import json
import os
import select
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from email.utils import formatdate
from urllib.parse import urlsplit

import fake_batch

VOLATILE = ("user", "stream", "stream_options")
STOP_EVENT = threading.Event()


def escape_all(s):
    """s with every character written as a JSON \\uXXXX escape."""
    return "".join("\\u%04x" % ord(c) for c in s)


def parse_fault(spec):
    spec = spec.strip()
    if not spec:
        raise ValueError("empty fault")
    kind, _, arg = spec.partition(":")
    if kind.isdigit():
        return ("status", int(kind), arg or None)
    if kind in ("ok", "reset", "close", "truncate", "badjson", "empty",
                "error200"):
        return (kind, None, None)
    if kind == "hang":
        return (kind, float(arg) if arg else None, None)
    if kind == "drip":
        return (kind, float(arg) if arg else 200.0, None)
    if kind == "slow":
        return (kind, float(arg), None)
    if kind in ("leak", "leakjson", "leakesc", "redirect"):
        return (kind, int(arg), None)
    if kind in ("bighead", "bigbody", "deep"):
        return (kind, float(arg), None)
    if kind == "usage":
        pt, _, ct = arg.partition(":")
        return (kind, None, (json.loads(pt), json.loads(ct)))
    raise ValueError("unknown fault '%s'" % spec)


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.seq = 0
        self.inflight = 0
        self.max_inflight = 0
        self.total = 0
        self.successful = 0
        self.by_path = {}
        self.by_status = {}
        self.faults_injected = 0
        self.keys = {}          # key -> successful answers
        self.requests = {}      # key -> requests received
        self.faults = [parse_fault(f) for f in args.faults.split(",")] \
            if args.faults else []
        self.every = []
        for e in args.fault_every:
            n, _, kind = e.partition(":")
            self.every.append((int(n), parse_fault(kind)))
        self.script = []
        if args.script:
            with open(args.script, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        self.script.append(json.loads(line))
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None

    def next_request(self, path, key):
        with self.lock:
            self.seq += 1
            seq = self.seq
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            inflight = self.inflight
            self.total += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1
            self.requests[key] = self.requests.get(key, 0) + 1
            fault = ("ok", None, None)
            if seq <= len(self.faults):
                fault = self.faults[seq - 1]
            for n, f in self.every:
                if seq % n == 0:
                    fault = f
            if fault[0] != "ok":
                self.faults_injected += 1
            return seq, fault, inflight

    def finish(self, key, status, success, entry):
        with self.lock:
            self.inflight -= 1
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
            if success:
                self.successful += 1
                self.keys[key] = self.keys.get(key, 0) + 1
            if self.log:
                self.log.write(json.dumps(entry, sort_keys=True) + "\n")
                self.log.flush()

    def stats(self):
        with self.lock:
            dup = {k: c for k, c in self.keys.items() if c > 1}
            return {
                "total": self.total,
                "successful": self.successful,
                "by_path": self.by_path,
                "by_status": self.by_status,
                "faults": self.faults_injected,
                "inflight": self.inflight,
                "max_inflight": self.max_inflight,
                "keys": len(self.keys),
                "duplicates": len(dup),
                "duplicate_answers": sum(c - 1 for c in dup.values()),
                "per_key": self.keys,
                "requests_per_key": self.requests,
            }


def request_key(body):
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in VOLATILE}
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"),
                       ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def text_of(content):
    """Text of an OpenAI/Anthropic message content (string or blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content
                       if isinstance(b, dict))
    return ""


def tokens(text):
    return max(1, len(text) // 4) if text else 0


def openai_reason(r):
    return "stop" if r == "stop_sequence" else r


def anthropic_reason(r):
    return {"stop": "end_turn", "length": "max_tokens"}.get(r, r)


def gemini_reason(r):
    return {"stop": "STOP", "stop_sequence": "STOP",
            "length": "MAX_TOKENS"}.get(r, r)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-teacher/1"

    def log_message(self, fmt, *args):
        pass

    # ---- reading -------------------------------------------------------
    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # ---- writing -------------------------------------------------------
    def send_raw(self, status, body, extra=None, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status, obj, extra=None):
        self.send_raw(status, json.dumps(obj).encode("utf-8"), extra)

    def error_body(self, api, status, message):
        etype = {400: "invalid_request_error", 401: "authentication_error",
                 404: "not_found_error", 429: "rate_limit_error",
                 529: "overloaded_error"}.get(status, "api_error")
        if api == "anthropic":
            return {"type": "error", "error": {"type": etype,
                                               "message": message}}
        if api == "gemini":
            return {"error": {"code": status, "message": message,
                              "status": "RESOURCE_EXHAUSTED"
                              if status == 429 else "UNAVAILABLE"}}
        return {"error": {"message": message, "type": etype, "code": None}}

    # ---- GET /stats ----------------------------------------------------
    def do_GET(self):
        self.STATE = STATE
        if urlsplit(self.path).path == "/stats":
            st = STATE.stats()
            st.update(fake_batch.stats())
            self.send_json(200, st)
        elif fake_batch.get(self, urlsplit(self.path).path):
            pass
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    # ---- POST: the four APIs -------------------------------------------
    def do_POST(self):
        t0 = time.time()
        url = urlsplit(self.path)
        path = url.path
        raw = self.read_body()
        self.STATE = STATE
        if fake_batch.post(self, path, raw):
            return
        api, model = None, None
        if path == "/v1/chat/completions":
            api = "chat"
        elif path == "/v1/completions":
            api = "completions"
        elif path == "/v1/messages":
            api = "anthropic"
        elif path.startswith("/v1beta/models/") and \
                path.endswith(":generateContent"):
            api = "gemini"
            model = path[len("/v1beta/models/"):-len(":generateContent")]
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = raw.decode("utf-8", "replace")
        key = request_key(body)
        seq, fault, inflight = STATE.next_request(path, key)
        if fault[0] == "ok":
            text = raw.decode("utf-8", "replace")
            for sc in STATE.script:
                if "fault" in sc and sc.get("match", "") in text:
                    fault = parse_fault(sc["fault"])
                    break
        entry = {"seq": seq, "t": t0, "path": path, "query": url.query,
                 "api": api, "key": key, "fault": None, "body": body,
                 "inflight": inflight, "conn": self.client_address[1],
                 "headers": self.safe_headers()}
        status, success = 0, False
        try:
            status, success = self.serve(api, model, body, fault, entry)
        finally:
            entry["status"] = status
            entry["success"] = success
            entry["t_end"] = time.time()
            STATE.finish(key, status, success, entry)

    def safe_headers(self):
        out = {}
        for k, v in self.headers.items():
            lk = k.lower()
            if lk in ("authorization", "x-api-key", "x-goog-api-key"):
                scheme = v.split(" ", 1)[0] if lk == "authorization" else ""
                out[lk] = (scheme + " " if " " in v else "") + "<redacted>"
            else:
                out[lk] = v
        return out

    def sent_key(self, api):
        """The API key the request carried, or an empty string."""
        if api in ("chat", "completions"):
            v = self.headers.get("Authorization") or ""
            return v[7:] if v.startswith("Bearer ") else ""
        if api == "anthropic":
            return self.headers.get("x-api-key") or ""
        return self.headers.get("x-goog-api-key") or ""

    def check_auth(self, api, entry):
        """Returns the header the key came in, and whether it matches."""
        want = STATE.args.require_key
        if api in ("chat", "completions"):
            name = "authorization"
            v = self.headers.get("Authorization")
            got = v[7:] if v and v.startswith("Bearer ") else None
        elif api == "anthropic":
            name = "x-api-key"
            got = self.headers.get("x-api-key")
        else:
            name = "x-goog-api-key"
            got = self.headers.get("x-goog-api-key")
        entry["auth_header"] = name if got is not None else None
        entry["auth_ok"] = (got == want) if want is not None else None
        entry["key_in_query"] = "key=" in (urlsplit(self.path).query or "")
        return want is None or got == want

    def validate(self, api, model, body):
        """Returns (model, prompt text, n, params) or raises ValueError."""
        if not isinstance(body, dict):
            raise ValueError("request body is not a JSON object")
        p = {}
        if api in ("chat", "completions", "anthropic"):
            model = body.get("model")
            if not isinstance(model, str) or not model:
                raise ValueError("'model' is required")
        n = 1
        if api == "chat":
            msgs = body.get("messages")
            if not isinstance(msgs, list) or not msgs:
                raise ValueError("'messages' must be a non-empty array")
            for m in msgs:
                if not isinstance(m, dict) or m.get("role") not in \
                        ("system", "user", "assistant", "developer"):
                    raise ValueError("bad message role")
            prompt = "\n".join(text_of(m.get("content")) for m in msgs)
            n = body.get("n", 1)
            p["max_tokens"] = body.get("max_tokens",
                                       body.get("max_completion_tokens"))
            p["stop"] = body.get("stop")
        elif api == "completions":
            prompt = body.get("prompt")
            if not isinstance(prompt, str):
                raise ValueError("'prompt' must be a string")
            n = body.get("n", 1)
            p["max_tokens"] = body.get("max_tokens", 16)
            p["stop"] = body.get("stop")
        elif api == "anthropic":
            if not self.headers.get("anthropic-version"):
                raise ValueError("'anthropic-version' header is required")
            if not isinstance(body.get("max_tokens"), int):
                raise ValueError("'max_tokens' is required")
            msgs = body.get("messages")
            if not isinstance(msgs, list) or not msgs:
                raise ValueError("'messages' must be a non-empty array")
            for m in msgs:
                if not isinstance(m, dict) or m.get("role") not in \
                        ("user", "assistant"):
                    raise ValueError("messages: roles must be user or "
                                     "assistant (system goes in 'system')")
            sysp = body.get("system")
            prompt = "\n".join(([text_of(sysp)] if sysp else []) +
                               [text_of(m.get("content")) for m in msgs])
            p["max_tokens"] = body["max_tokens"]
            p["stop"] = body.get("stop_sequences")
        else:
            contents = body.get("contents")
            if not isinstance(contents, list) or not contents:
                raise ValueError("'contents' must be a non-empty array")
            parts = []
            si = body.get("systemInstruction") or \
                body.get("system_instruction")
            if isinstance(si, dict):
                parts += [x.get("text", "") for x in si.get("parts", [])]
            for c in contents:
                if not isinstance(c, dict) or \
                        not isinstance(c.get("parts"), list):
                    raise ValueError("contents[].parts must be an array")
                if c.get("role", "user") not in ("user", "model"):
                    raise ValueError("contents[].role must be user or model")
                parts += [x.get("text", "") for x in c["parts"]
                          if isinstance(x, dict)]
            prompt = "\n".join(parts)
            gc = body.get("generationConfig") or {}
            n = gc.get("candidateCount", 1)
            p["max_tokens"] = gc.get("maxOutputTokens")
            p["stop"] = gc.get("stopSequences")
        if not isinstance(n, int) or n < 1 or n > 128:
            raise ValueError("'n' must be an integer from 1 to 128")
        return model, prompt, n, p

    def completion_for(self, prompt, sample):
        for s in STATE.script:
            if s.get("match", "") in prompt:
                c = s.get("completion", "")
                if isinstance(c, list):
                    c = c[sample % len(c)]
                return c, s.get("finish_reason", "stop")
        h = hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:8]
        return ("Fake teacher %s sample %d: the premise supports the "
                "hypothesis. So the answer is entailment." % (h, sample),
                "stop")

    def answer(self, api, model, prompt, n, p):
        choices = []
        out_tokens = 0
        stopped = None
        for i in range(n):
            text, reason = self.completion_for(prompt, i)
            stops = p.get("stop")
            if isinstance(stops, str):
                stops = [stops]
            matched = None
            for s in stops or []:
                if s and s in text:
                    text, reason = text[:text.index(s)], "stop_sequence"
                    matched = s
            mt = p.get("max_tokens")
            if isinstance(mt, int) and tokens(text) > mt:
                text, reason, matched = text[:mt * 4], "length", None
            out_tokens += tokens(text)
            choices.append((text, reason))
            stopped = matched if i == 0 else stopped
        pt = tokens(prompt)
        now = int(time.time())
        split = STATE.args.multipart

        def parts(text):
            if split and len(text) > 1:
                h = len(text) // 2
                return [text[:h], text[h:]]
            return [text]
        if api == "chat":
            return {"id": "chatcmpl-fake", "object": "chat.completion",
                    "created": now, "model": model,
                    "choices": [{"index": i,
                                 "message": {"role": "assistant",
                                             "content": t},
                                 "logprobs": None,
                                 "finish_reason": openai_reason(r)}
                                for i, (t, r) in enumerate(choices)],
                    "usage": {"prompt_tokens": pt,
                              "completion_tokens": out_tokens,
                              "total_tokens": pt + out_tokens}}
        if api == "completions":
            return {"id": "cmpl-fake", "object": "text_completion",
                    "created": now, "model": model,
                    "choices": [{"text": t, "index": i, "logprobs": None,
                                 "finish_reason": openai_reason(r)}
                                for i, (t, r) in enumerate(choices)],
                    "usage": {"prompt_tokens": pt,
                              "completion_tokens": out_tokens,
                              "total_tokens": pt + out_tokens}}
        if api == "anthropic":
            t, r = choices[0]
            return {"id": "msg_fake", "type": "message",
                    "role": "assistant", "model": model,
                    "content": [{"type": "text", "text": x}
                                for x in parts(t)],
                    "stop_reason": anthropic_reason(r),
                    "stop_sequence": stopped,
                    "usage": {"input_tokens": pt,
                              "output_tokens": tokens(t)}}
        return {"candidates": [{"content": {"parts": [{"text": x}
                                                      for x in parts(t)],
                                            "role": "model"},
                                "finishReason": gemini_reason(r),
                                "index": i}
                               for i, (t, r) in enumerate(choices)],
                "usageMetadata": {"promptTokenCount": pt,
                                  "candidatesTokenCount": out_tokens,
                                  "totalTokenCount": pt + out_tokens},
                "modelVersion": model}

    def serve(self, api, model, body, fault, entry):
        kind, arg, arg2 = fault
        entry["fault"] = None if kind == "ok" else \
            kind + ("" if arg is None else ":%g" % arg) + \
            ("" if arg2 is None else ":" + (arg2 if isinstance(arg2, str)
                                            else json.dumps(arg2)))
        if api is None:
            self.send_json(404, {"error": {"message": "no such endpoint"}})
            return 404, False
        if STATE.args.latency_ms:
            time.sleep(STATE.args.latency_ms / 1000.0)
        if kind == "status":
            extra = {}
            if arg2 and arg2.startswith("@"):
                extra["Retry-After"] = formatdate(time.time() +
                                                  float(arg2[1:]),
                                                  usegmt=True)
            elif arg2 and arg2.startswith("ar="):
                reset = time.gmtime(time.time() + float(arg2[3:]))
                extra["anthropic-ratelimit-requests-remaining"] = "0"
                extra["anthropic-ratelimit-requests-reset"] = \
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", reset)
            elif arg2 and arg2.startswith("xr="):
                extra["x-ratelimit-remaining-requests"] = "0"
                extra["x-ratelimit-reset-requests"] = arg2[3:]
            elif arg2:
                extra["Retry-After"] = arg2
            self.send_json(arg, self.error_body(api, arg, "injected fault"),
                           extra)
            return arg, False
        if kind in ("reset", "close"):
            if kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return -1, False
        if kind == "hang":
            # Until the deadline, the server's exit or the client's hang-up.
            end = time.time() + (arg if arg is not None else 1e9)
            while time.time() < end and not STOP_EVENT.is_set():
                r, _, _ = select.select([self.connection], [], [], 0.05)
                if r:
                    try:
                        if not self.connection.recv(1, socket.MSG_PEEK):
                            break
                    except OSError:
                        break
            self.close_connection = True
            return -2, False
        if kind == "redirect":
            self.send_response(arg)
            self.send_header("Location", "http://127.0.0.1:%d/elsewhere%s" %
                             (self.server.server_address[1], self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return arg, False
        if kind in ("leak", "leakjson", "leakesc") and arg != 200:
            key = self.sent_key(api)
            if kind == "leak":
                self.send_raw(arg, b"x" * 170 + key.encode(),
                              ctype="text/plain")
            elif kind == "leakesc":
                body = json.dumps(self.error_body(api, arg, "y" * 280 + key))
                self.send_raw(arg, body.replace(key, escape_all(key)).encode())
            else:
                self.send_json(arg, self.error_body(api, arg,
                                                    "y" * 280 + key))
            return arg, False
        if kind == "bigbody":
            n = int(arg * (1 << 20))
            head = b'{"choices":[{"index":0,"message":{"content":"'
            tail = b'"}}]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            try:
                self.wfile.write(head)
                left = n - len(head) - len(tail)
                chunk = b"a" * (1 << 20)
                while left > 0:
                    self.wfile.write(chunk[:min(left, len(chunk))])
                    left -= len(chunk)
                self.wfile.write(tail)
            except OSError:
                pass
            self.close_connection = True
            return 200, False
        if kind == "deep":
            n = int(arg)
            self.send_raw(200, b'{"choices":' + b"[" * n + b"]" * n + b"}")
            return 200, False
        if not self.check_auth(api, entry):
            self.send_json(401, self.error_body(api, 401, "invalid api key"))
            return 401, False
        try:
            model, prompt, n, p = self.validate(api, model, body)
        except ValueError as e:
            entry["error"] = str(e)
            self.send_json(400, self.error_body(api, 400, str(e)))
            return 400, False
        entry["model"] = model
        entry["prompt"] = prompt
        entry["n"] = n
        obj = self.answer(api, model, prompt, n, p)
        if kind in ("leak", "leakesc"):
            key = self.sent_key(api)
            text = "I was sent %s. So the answer is entailment." % key
            if api in ("chat", "completions"):
                obj["choices"][0]["message" if api == "chat" else "text"] = \
                    {"role": "assistant", "content": text} \
                    if api == "chat" else text
                obj["system_fingerprint"] = key
            elif api == "anthropic":
                obj["content"] = [{"type": "text", "text": text}]
                obj["id"] = key
            else:
                obj["candidates"][0]["content"]["parts"] = [{"text": text}]
                obj["responseId"] = key
        if kind == "usage":
            pt, ct = arg2
            if api in ("chat", "completions"):
                obj["usage"] = {"prompt_tokens": pt, "completion_tokens": ct}
            elif api == "anthropic":
                obj["usage"] = {"input_tokens": pt, "output_tokens": ct}
            else:
                obj["usageMetadata"] = {"promptTokenCount": pt,
                                        "candidatesTokenCount": ct}
        resp = json.dumps(obj).encode()
        if kind == "leakesc":
            key = self.sent_key(api)
            resp = resp.replace(key.encode(), escape_all(key).encode())
        if kind == "empty":
            obj = json.loads(resp)
            if api in ("chat", "completions"):
                obj["choices"] = []
            elif api == "anthropic":
                obj["content"] = []
            else:
                obj["candidates"] = [{"finishReason": "SAFETY", "index": 0}]
            self.send_json(200, obj)
            return 200, False
        if kind == "error200":
            self.send_json(200, self.error_body(api, 500, "injected error"))
            return 200, False
        if kind == "badjson":
            self.send_raw(200, b'{"choices": [{"message": {"content": "oops"')
            return 200, False
        if kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(resp)))
            self.end_headers()
            self.wfile.write(resp[:len(resp) // 2])
            self.wfile.flush()
            self.close_connection = True
            return 200, False
        if kind == "slow":
            time.sleep(arg / 1000.0)
        if kind == "bighead":
            self.send_raw(200, resp, {"X-Big": "b" * int(arg * 1024)})
            return 200, True
        if kind == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(resp)))
            self.end_headers()
            self.wfile.flush()
            try:
                for i in range(len(resp)):
                    self.wfile.write(resp[i:i + 1])
                    self.wfile.flush()
                    if STOP_EVENT.wait(arg / 1000.0):
                        break
            except OSError:
                self.close_connection = True
                return 200, False
            return 200, True
        self.send_raw(200, resp)
        return 200, True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser(description="fake teacher for dss-teach")
    ap.add_argument("--script")
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--faults", default="")
    ap.add_argument("--fault-every", action="append", default=[])
    ap.add_argument("--log")
    ap.add_argument("--require-key")
    ap.add_argument("--multipart", action="store_true",
                    help="split Anthropic/Gemini text into two parts")
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM chain")
    ap.add_argument("--tls-key", help="the private key of --tls-cert")
    fake_batch.add_args(ap)
    args = ap.parse_args()
    global STATE
    try:
        STATE = State(args)
    except (ValueError, OSError) as e:
        print("fake_teacher: %s" % e, file=sys.stderr)
        sys.exit(2)
    srv = Server(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)

    def die():
        STOP_EVENT.set()
        os._exit(0)
    t = threading.Timer(args.lifetime, die)
    t.daemon = True
    t.start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
