#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark: dss-teach sending 20,000 chat requests at concurrency 64 to
a loopback OpenAI-compatible server that answers each one 20 ms after it
arrives (bench/latency-server.c, built here with cc), against the
official `openai` Node SDK (installed from npm into build/bench/node,
driven by bench/teach-node.mjs) at the same concurrency, max_tokens and
temperature over the same prompts, and against the floor: curl -Z with
the same --parallel-max, which sends the requests and drops the answers
(no JSON, no database).  Every run gets a fresh server (started and
stopped untimed) and dss-teach a fresh database, so nothing is answered
from its cache.  The ideal wall time is requests / concurrency x
latency.  Targets: dss-teach's median wall within 10% of the ideal, its
CPU time at most 1/3 and its peak RSS at most 1/5 of the Node client's
(node/dss-teach ratios of at least 3 and 5).  The server reports the
requests it served, the most it held at once, the delay it actually
served and its own CPU time, to show it was not the bottleneck.  Then:
dss-teach again over the database it filled (every answer from the
cache), and once two dss-teach clients at once on one server, to show
the server has room to spare."""
import os
import shutil
import signal
import subprocess

import pair

LAT = 20


class Server:
    """A latency server per run: start() before, stop() after."""

    def __init__(self, exe, d):
        self.exe, self.d, self.p, self.port = exe, d, None, None

    def start(self):
        self.stop()
        self.err = open(os.path.join(self.d, "server.err"), "w+")
        self.p = subprocess.Popen([self.exe, str(LAT), "600"], stdout=subprocess.PIPE,
                                  stderr=self.err, text=True)
        line = self.p.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise pair.BenchError("the latency server did not start")
        self.port = line

    def stop(self):
        """Stops the server; returns its report line."""
        if self.p is None:
            return ""
        self.p.send_signal(signal.SIGTERM)
        self.p.wait()
        self.p.stdout.close()
        self.p = None
        self.err.seek(0)
        report = self.err.read().strip().replace("latency-server: ", "")
        self.err.close()
        return report

    def url(self):
        return "http://127.0.0.1:%s/v1" % self.port


def prompts(path, n):
    with open(path + ".tmp", "w") as f:
        for i in range(n):
            pr = ("Premise: A dog number %d runs in the park.\\nHypothesis: "
                  "A dog is outside.\\nA:" % i)
            f.write('{"dataset":"esnli","split":"train","id":"esnli-train-%06d","index":%d,'
                    '"input":"A dog number %d runs in the park.</s>A dog is outside.",'
                    '"label":"entailment","fields":{"premise":"A dog number %d runs in the '
                    'park.","hypothesis":"A dog is outside.","source_id":"%d#0",'
                    '"explanations":["a park is outside"]},"prompt":"%s","messages":'
                    '[{"role":"user","content":"%s"}],"template":"0bench30","style":"cot"}\n'
                    % (i, i, i, i, i, pr, pr))
    os.replace(path + ".tmp", path)


def count(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def node_sdk(b, d):
    """The directory of the installed openai SDK, or None (and says why)."""
    nd = pair.workdir("node")
    if not shutil.which("node"):
        b.note("node openai SDK: not measured, node is not installed")
        return None
    if not os.path.exists(os.path.join(nd, "node_modules/openai/package.json")):
        with open(os.path.join(d, "npm.log"), "w") as log:
            r = subprocess.run(["npm", "install", "--prefix", nd, "--no-audit", "--no-fund",
                                "openai"], stdout=log, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            b.note("node openai SDK: not measured, cannot install the openai package from "
                   "npm (see %s)" % os.path.join(d, "npm.log"))
            return None
    shutil.copy(os.path.join(pair.TOP, "bench/teach-node.mjs"), nd)
    return nd


def main():
    n = pair.size("DSS_BENCH_TEACH_N", 20000, 320)
    c = pair.env_int("DSS_BENCH_TEACH_CONC", 64)
    d = pair.workdir("teach-%d" % n)
    src = os.path.join(d, "prompts.jsonl")
    if not os.path.exists(src):
        prompts(src, n)
    ideal = n / c * LAT / 1000.0
    b = pair.Bench("30-teach", "dss-teach, %s requests at concurrency %d, server latency %d ms: "
                   "ideal %s s" % ("{:,}".format(n), c, LAT, pair.fmt(ideal)))
    try:
        srv = Server(pair.build_c("latency-server.c", "latency-server"), d)
    except pair.BenchError as e:
        b.fail(str(e))
        return b.finish()
    nd = node_sdk(b, d)
    try:
        run(b, srv, nd, n, c, d, src, ideal)
    finally:
        srv.stop()
    return b.finish()


def run(b, srv, nd, n, c, d, src, ideal):
    db = os.path.join(d, "teach.db")

    def teach_argv(dbpath):
        return lambda: [os.path.join(pair.TOP, "bin/dss-teach"), "--db", dbpath,
                        "--teacher", "openai:bench", "--base-url", srv.url(),
                        "--concurrency", str(c), "--max-tokens", "64", "--temperature", "0",
                        "--quiet"]

    def fresh():
        for p in (db, db + "-wal", db + "-shm"):
            if os.path.exists(p):
                os.unlink(p)
        srv.start()

    def done(out, what):
        def after(run):
            report = srv.stop()
            if out and count(out) != n:
                raise pair.BenchError("%s wrote %d of %d records" % (what, count(out), n))
            return "server: " + report
        return after

    out_dss = os.path.join(d, "dss.out")
    dss = pair.Cmd("dss-teach", teach_argv(db), stdin=src, stdout=out_dss, before=fresh,
                   after=done(out_dss, "dss-teach"))
    peer = None
    if nd:
        out_node = os.path.join(d, "node.out")
        peer = pair.Cmd("node openai", lambda: [
            "node", os.path.join(nd, "teach-node.mjs"), srv.url(), src, str(c)],
            stdout=out_node, before=srv.start, after=done(out_node, "the node client"))
    floors = []
    curl_ok = subprocess.run(["curl", "--help", "all"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.find(b"--parallel-max") >= 0
    if curl_ok:
        cfg = os.path.join(d, "curl.cfg")

        def curl_cfg():
            srv.start()
            with open(cfg, "w") as f:
                for i in range(n):
                    if i:
                        f.write("next\n")
                    f.write('url = "%s/chat/completions"\ndata = "{\\"model\\":\\"bench\\",'
                            '\\"i\\":%d}"\noutput = "/dev/null"\n' % (srv.url(), i))
        floors.append(pair.Cmd("curl -Z", ["curl", "-s", "-Z", "--parallel-max", str(c),
                                           "-K", cfg], before=curl_cfg, after=done(None, "")))
    else:
        b.note("floor curl -Z: not measured, this curl has no --parallel-max")
    res = b.pair("fresh: every request sent to the server", dss, peer, floors, records=n,
                 ideal=ideal, targets=["dss.ideal <= 1.10", "cpu >= 3", "rss >= 5"])
    if not res:
        return
    b.note("median wall over the ideal (%s s): %s" % (pair.fmt(ideal), ", ".join(
        "%s %sx" % (x.name, pair.fmt(res[id(x)]["wall"].median / ideal))
        for x in [dss] + ([peer] if peer else []) + floors)))

    again = pair.Cmd("dss-teach", teach_argv(db), stdin=src, before=srv.start,
                     after=done(None, ""))
    b.pair("again over the same database: every answer from the cache", again, records=n)

    half = n // 2
    halves = [os.path.join(d, "half%d.jsonl" % k) for k in (1, 2)]
    with open(src) as f:
        lines = f.readlines()
    for path, part in zip(halves, (lines[:half], lines[half:2 * half])):
        with open(path, "w") as f:
            f.writelines(part)
    pairs = []
    for k, path in enumerate(halves, 1):
        pdb = os.path.join(d, "pair%d.db" % k)
        for p in (pdb, pdb + "-wal", pdb + "-shm"):
            if os.path.exists(p):
                os.unlink(p)
        pairs.append(pair.Cmd("dss-teach %d" % k, teach_argv(pdb), stdin=path))
    srv.start()
    wall = b.together(pairs)
    report = srv.stop()
    if wall is not None:
        b.note("server check, one run: 2 clients x %d at once, %s requests each: wall %s s "
               "(ideal %s s); server: %s" % (c, "{:,}".format(half), pair.fmt(wall),
                                             pair.fmt(half / c * LAT / 1000.0), report))


if __name__ == "__main__":
    pair.bench_main(main)
