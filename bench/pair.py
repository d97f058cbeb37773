#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The one harness of `make bench` (Python standard library only).

Every bench (bench/NN-*.py) hands it a pair of commands, dss and its
peer, plus the physical floor commands that do the least work the job
allows (cat, wc -l, openssl sha256, a copy and fsync, a bare SQLite
insert loop, curl -Z), and the targets the pair must meet.

What a figure means
-------------------
* Runs.  The commands run in DSS_BENCH_RUNS rounds (default 5, at least
  5 for a reported figure).  Each round runs every command once, dss
  first and the floors last in rounds 1, 3, 5, ... and in the reverse
  order in rounds 2, 4, ..., so that a machine getting busier or quieter
  over the bench weighs on both sides alike.  Input files are read once
  before round 1 so that no side pays for the first read from disk.
* Times.  Each run is timed by the wall clock (from just before the
  command is started to its exit) and by CPU time: user + system of the
  process, all its threads and every child it waited for, as wait4(2)
  reports them.  Its peak RSS is the ru_maxrss of the same wait4: the
  largest resident set of the process or of any of its children.
  Setup (deleting a cache, starting a loopback server) is not timed.
* Medians and ranges.  For each command the report gives the median and
  the range (min-max) over the rounds of wall time, CPU time and peak
  RSS; records/s is the record count divided by the median wall time.
* Ratios.  "peer/dss" is computed in each round (the peer's time over
  dss's time in that same round) and reported as the median and range of
  those per-round ratios, by wall and by CPU: 10x means dss took a tenth
  of the peer's time.  "dss/floor" is dss's median wall over the floor's
  median wall: how far dss is from the least the machine can do.
* Targets are judged at the median: a target missed by the median is
  printed MISSED and makes the bench exit 1, however good the best
  round was; "ok" otherwise.  A target that could not be measured (no
  peer) is NOT MEASURED and counts as missed.  Checks (identical
  outputs, kept sets) are printed "ok" or FAILED and count alike.
* Smoke mode.  DSS_BENCH_SMALL=1 shrinks every input so that the whole
  of `make bench` runs in about a minute, and allows DSS_BENCH_RUNS
  below 5.  Its figures prove the harness and the checks work; they are
  no measurement: the report says so on every bench, and targets are
  shown but not judged (checks still are).

As a command, the harness runs one pair given on the command line
(each CMD is split like a shell word list, without a shell), which is
how tests/t8000-bench.sh tests it:

  pair.py --name NAME [--records N] [--stdin FILE] [--ideal SECONDS]
          --dss LABEL=CMD [--peer LABEL=CMD] [--floor LABEL=CMD]...
          [--target 'METRIC OP NUMBER']...

METRIC is wall, cpu or rss (the median per-round ratio peer/dss), or
SIDE.FIGURE with SIDE dss or peer and FIGURE wall (s), cpu (s), rss
(MiB), rate (records/s at the median wall) or ideal (median wall over
--ideal); OP is >=, >, <= or <.  Exit status: 0 when every target and
check holds, 1 when one is missed or a command fails, 2 on a usage error.
"""
import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS_MIN = 5
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The interpreter running the harness runs the Python peers too, so that
# no launcher (a pyenv shim, say) is timed with them.
PY = sys.executable


class UsageError(Exception):
    pass


class BenchError(Exception):
    pass


def env_int(name, default):
    v = os.environ.get(name)
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        raise UsageError("%s must be a whole number, not '%s'" % (name, v))
    if n < 1:
        raise UsageError("%s must be at least 1, not '%s'" % (name, v))
    return n


def small():
    """True in smoke mode (DSS_BENCH_SMALL set to anything but 0)."""
    return os.environ.get("DSS_BENCH_SMALL", "0") not in ("", "0")


def runs():
    n = env_int("DSS_BENCH_RUNS", RUNS_MIN)
    if n < RUNS_MIN and not small():
        raise UsageError("DSS_BENCH_RUNS must be at least %d for a reported figure, "
                         "not %d (fewer only with DSS_BENCH_SMALL=1)" % (RUNS_MIN, n))
    return n


def size(var, full, tiny):
    """The input size: $var if set, else tiny in smoke mode, else full."""
    return env_int(var, tiny if small() else full)


def fresh_db(base, path):
    """A function that replaces the database at path (and its -wal and
    -shm) by a copy of base, synced to disk: else the first fsync of the
    timed run (a commit's checkpoint) would wait for the copy's pages.
    For a Cmd's before, so that every run starts from the same file."""
    def f():
        for p in (path, path + "-wal", path + "-shm"):
            if os.path.exists(p):
                os.unlink(p)
        shutil.copyfile(base, path)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return f


def workdir(name):
    d = os.path.join(TOP, "build", "bench", name)
    os.makedirs(d, exist_ok=True)
    return d


def build_c(src, out, flags=()):
    """Compiles bench/SRC into build/bench/bin/OUT with $CC (cc) -O2 when
    missing or older than its source; returns the path."""
    src = os.path.join(TOP, "bench", src)
    d = workdir("bin")
    exe = os.path.join(d, out)
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
        return exe
    tmp = "%s.%d.tmp" % (exe, os.getpid())
    cc = shlex.split(os.environ.get("CC") or "cc")
    r = subprocess.run(cc + ["-O2", "-o", tmp, src] + list(flags),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise BenchError("cannot build %s:\n%s" % (os.path.relpath(src, TOP),
                                                  r.stdout.decode(errors="replace")))
    os.replace(tmp, exe)
    return exe


_timer = None


def timer():
    global _timer
    if _timer is None:
        _timer = build_c("timed.c", "timed")
    return _timer


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


class Cmd:
    """A command to time.  argv is a list, or a function returning one
    (called after before(), so that it can name a server's port).  stdin
    and stdout are paths (None: /dev/null).  before() runs untimed before
    each run; after(run) runs untimed after each successful run and may
    return a line to print under the report (the last run's is shown)."""

    def __init__(self, name, argv, stdin=None, stdout=None, env=None,
                 before=None, after=None, show_stderr=False):
        self.name = name
        self.argv = argv
        self.stdin = stdin
        self.stdout = stdout
        self.env = env
        self.before = before
        self.after = after
        self.show_stderr = show_stderr
        self.note = None
        self.errpath = None


class Run:
    def __init__(self, wall, cpu, rss_kib):
        self.wall, self.cpu, self.rss = wall, cpu, rss_kib / 1024.0


def _tail(path, n=5):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def _prepare(cmd, errpath):
    """Runs cmd's untimed setup and opens its files (truncating an old
    output is setup too); returns what _spawn takes."""
    if cmd.before:
        cmd.before()
    argv = cmd.argv() if callable(cmd.argv) else cmd.argv
    env = None
    if cmd.env:
        env = dict(os.environ)
        env.update(cmd.env)
    cmd.errpath = errpath
    files = [open(cmd.stdin or os.devnull, "rb")]
    try:
        files.append(open(cmd.stdout or os.devnull, "wb"))
        files.append(open(errpath, "wb"))
    except OSError:
        for f in files:
            f.close()
        raise
    return argv, env, files


def _spawn(cmd, ready):
    argv, env, files = ready
    try:
        return subprocess.Popen([timer(), cmd.errpath + ".time"] + list(argv),
                                stdin=files[0], stdout=files[1], stderr=files[2],
                                env=env, close_fds=True)
    except OSError as e:
        raise BenchError("cannot run the timer: %s" % e.strerror)
    finally:
        for f in files:
            f.close()


def _reap(cmd, p):
    """Waits for p (bench/timed.c running cmd); returns cmd's Run or
    raises BenchError."""
    p.wait()
    try:
        with open(cmd.errpath + ".time") as f:
            wall, user, sys_, rss, code = f.read().split()
        os.unlink(cmd.errpath + ".time")
    except (OSError, ValueError):
        raise BenchError("'%s': the timer failed (status %d):\n%s" % (
            cmd.name, p.returncode, _tail(cmd.errpath)))
    code = int(code)
    if code != 0:
        why = "exited with status %d" % code if code > 0 else "was killed by signal %d" % -code
        said = "".join("\n   | " + line for line in _tail(cmd.errpath).splitlines())
        raise BenchError("'%s' %s%s" % (cmd.name, why, said))
    r = Run(float(wall), float(user) + float(sys_), int(rss))
    if cmd.after:
        cmd.note = cmd.after(r)
    return r


def measure(cmd, errpath):
    """One timed run of cmd, its stderr to errpath.  The clock starts
    after the setup, just before the command is started."""
    timer()
    ready = _prepare(cmd, errpath)
    p = None
    try:
        p = _spawn(cmd, ready)
        return _reap(cmd, p)
    finally:
        if p is not None and p.returncode is None:
            p.kill()
            p.wait()


def together(cmds, errdir):
    """Runs cmds at once, once (an informational figure, not a measured
    one); returns the wall time from the first start to the last exit."""
    timer()
    ready = [(c, _prepare(c, os.path.join(errdir, "together-%d.err" % i)))
             for i, c in enumerate(cmds)]
    procs = []
    try:
        t0 = time.monotonic()
        for c, r in ready:
            procs.append((c, _spawn(c, r)))
        for c, p in procs:
            _reap(c, p)
        return time.monotonic() - t0
    finally:
        for _, p in procs:
            if p.returncode is None:
                p.kill()
                p.wait()


class Stat:
    def __init__(self, values):
        self.values = list(values)
        self.median = statistics.median(self.values)
        self.min = min(self.values)
        self.max = max(self.values)


def round_ratios(num, den):
    """The per-round ratios num[i] / den[i] (den 0 counts as 1 us, 1 KiB)."""
    return [a / (b if b > 0 else 1e-6) for a, b in zip(num, den)]


def fmt(x):
    """A figure to three significant digits or so, without an exponent."""
    a = abs(x)
    if a >= 1000:
        return "{:,.0f}".format(x)
    if a >= 100:
        return "%.0f" % x
    if a >= 10:
        return "%.1f" % x
    if a >= 1:
        return "%.2f" % x
    return "%.3f" % x


def fmt_stat(s, unit=""):
    return "%s%s (%s-%s)" % (fmt(s.median), unit, fmt(s.min), fmt(s.max))


OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b,
       "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}
FIGURES = {"wall": "median wall s", "cpu": "median cpu s", "rss": "peak RSS MiB",
           "rate": "records/s", "ideal": "wall / ideal"}


class Target:
    """METRIC OP NUMBER, e.g. 'wall >= 10' or 'dss.rss < 32'."""

    def __init__(self, expr):
        words = expr.replace(">=", " >= ").replace("<=", " <= ").split()
        if len(words) == 4 and words[1] in "<>" and words[2] == "=":
            words = [words[0], words[1] + "=", words[3]]
        if len(words) != 3 or words[1] not in OPS:
            raise UsageError("bad target '%s' (want METRIC OP NUMBER)" % expr)
        self.metric, self.op = words[0], words[1]
        try:
            self.limit = float(words[2])
        except ValueError:
            raise UsageError("bad target '%s': '%s' is not a number" % (expr, words[2]))
        m = self.metric.split(".")
        if not ((len(m) == 1 and m[0] in ("wall", "cpu", "rss")) or
                (len(m) == 2 and m[0] in ("dss", "peer") and m[1] in FIGURES)):
            raise UsageError("bad target '%s': unknown metric '%s'" % (expr, self.metric))
        self.expr = expr


class Bench:
    """One bench script's report: a header, then any number of measured
    pairs and checks; finish() prints the verdict and returns the exit
    status."""

    def __init__(self, name, about, errdir=None):
        self.name = name
        self.runs = runs()
        self.small = small()
        self.missed = []
        self.sections = []
        self.failed = False
        self.errdir = errdir or workdir("err")
        print("== %s: %s" % (name, about))
        print("   machine: %d CPUs, load average %s at the start" % (os.cpu_count() or 0, loadavg()))
        if self.small:
            print("   SMOKE TEST (DSS_BENCH_SMALL): small inputs, %d round%s; these figures "
                  "are not a measurement and targets are not judged" %
                  (self.runs, "" if self.runs == 1 else "s"))
        sys.stdout.flush()

    # ---- measuring -----------------------------------------------------
    def pair(self, title, dss, peer=None, floors=(), targets=(), records=None,
             ideal=None, warm=()):
        """Runs dss, peer and floors in alternating rounds and prints the
        report.  Returns the dict of Stats by side, or None on failure."""
        targets = [t if isinstance(t, Target) else Target(t) for t in targets]
        sides = [dss] + ([peer] if peer else []) + list(floors)
        for path in warm:
            with open(path, "rb") as f:
                while f.read(1 << 20):
                    pass
        got = {id(c): [] for c in sides}
        self.section = title.split(":")[0]
        self.sections.append(self.section)
        print("-- %s" % title)
        sys.stdout.flush()
        try:
            for r in range(self.runs):
                order = sides if r % 2 == 0 else sides[::-1]
                for c in order:
                    err = os.path.join(self.errdir, "%s-%d.err" % (self.name, sides.index(c)))
                    got[id(c)].append(measure(c, err))
        except BenchError as e:
            print("   FAILED: %s" % str(e).rstrip())
            self.failed = True
            return None
        res = {}
        for c in sides:
            rs = got[id(c)]
            res[id(c)] = {"wall": Stat(r.wall for r in rs), "cpu": Stat(r.cpu for r in rs),
                          "rss": Stat(r.rss for r in rs)}
        self._report(sides, dss, peer, floors, res, got, targets, records, ideal)
        return res

    def _report(self, sides, dss, peer, floors, res, got, targets, records, ideal):
        w = max([len("median (min-max)")] + [len(c.name) + (6 if c in floors else 0)
                                             for c in sides])
        print("   %d round%s%s" % (self.runs, "" if self.runs == 1 else "s",
                                 ", alternating (dss first in odd rounds, last in even)"
                                 if len(sides) > 1 else ""))
        head = "   %-*s  %-24s %-24s %-22s" % (w, "median (min-max)", "wall s", "cpu s",
                                                 "peak RSS MiB")
        print(head + ("  records/s" if records else ""))
        for c in sides:
            s = res[id(c)]
            label = ("floor " if c in floors else "") + c.name
            line = "   %-*s  %-24s %-24s %-22s" % (w, label, fmt_stat(s["wall"]),
                                                    fmt_stat(s["cpu"]), fmt_stat(s["rss"]))
            if records:
                line += "  " + fmt(records / max(s["wall"].median, 1e-6))
            print(line.rstrip())
        ratios = {}
        if peer:
            d, p = got[id(dss)], got[id(peer)]
            for k in ("wall", "cpu", "rss"):
                ratios[k] = Stat(round_ratios([getattr(r, k) for r in p],
                                              [getattr(r, k) for r in d]))
            print("   %s/%s per round: wall %s, cpu %s" % (
                peer.name, dss.name, fmt_stat(ratios["wall"], "x"), fmt_stat(ratios["cpu"], "x")))
        if floors:
            dw = res[id(dss)]["wall"].median
            print("   %s/floor (median wall): %s" % (dss.name, ", ".join(
                "%s %sx" % (f.name, fmt(dw / max(res[id(f)]["wall"].median, 1e-6)))
                for f in floors)))
        for c in sides:
            if c.note:
                print("   %s: %s" % (c.name, c.note))
            if c.show_stderr and c.errpath:
                for line in _tail(c.errpath).splitlines():
                    print("   %s said: %s" % (c.name, line))
        for t in targets:
            self._judge(t, dss, peer, res, ratios, records, ideal)
        sys.stdout.flush()

    def _judge(self, t, dss, peer, res, ratios, records, ideal):
        m = t.metric.split(".")
        value = rng = None
        if len(m) == 1:
            label = "%s ratio %s/%s" % (m[0], peer.name if peer else "peer", dss.name)
            if peer:
                s = ratios[m[0]]
                value, rng = s.median, (s.min, s.max)
        else:
            side = dss if m[0] == "dss" else peer
            label = "%s %s" % (side.name if side else "peer", FIGURES[m[1]])
            if side:
                s = res[id(side)]["wall" if m[1] in ("rate", "ideal") else m[1]]
                if m[1] == "rate" and records:
                    value, rng = records / s.median, (records / s.max, records / s.min)
                elif m[1] == "ideal" and ideal:
                    value, rng = s.median / ideal, (s.min / ideal, s.max / ideal)
                elif m[1] not in ("rate", "ideal"):
                    value, rng = s.median, (s.min, s.max)
        want = "%s %s" % (t.op, fmt(t.limit))
        if value is None:
            verdict, shown = "NOT MEASURED", "-"
        else:
            verdict = "ok" if OPS[t.op](value, t.limit) else "MISSED"
            shown = "%s (%s-%s)" % (fmt(value), fmt(rng[0]), fmt(rng[1]))
        if self.small:
            verdict += " (smoke: not judged)"
        elif not verdict.startswith("ok"):
            self.missed.append((self.section, "%s %s" % (label, want)))
        print("   target %s %s: median %s  %s" % (label, want, shown, verdict))

    def together(self, cmds):
        try:
            return together(cmds, self.errdir)
        except BenchError as e:
            print("   FAILED: %s" % str(e).rstrip())
            self.failed = True
            return None

    # ---- checks and verdict ----------------------------------------------
    def check(self, label, good, detail=""):
        print("   check %s: %s%s" % (label, "ok" if good else "FAILED",
                                     (" (%s)" % detail) if detail else ""))
        if not good:
            self.failed = True
        sys.stdout.flush()
        return good

    def fail(self, msg):
        print("   FAILED: %s" % msg)
        self.failed = True

    def note(self, msg):
        print("   %s" % msg)
        sys.stdout.flush()

    def finish(self):
        print("   load average %s at the end" % loadavg())
        if self.failed:
            verdict = "FAILED"
        elif self.missed:
            many = len(self.sections) > 1
            verdict = "MISSED: " + "; ".join((sec + ": " if many else "") + what
                                             for sec, what in self.missed)
        else:
            verdict = "ok" + (" (smoke test: targets not judged)" if self.small else "")
        print("== %s: %s" % (self.name, verdict))
        sys.stdout.flush()
        return 0 if verdict.startswith("ok") else 1


def main(argv):
    ap = argparse.ArgumentParser(prog="pair.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", required=True)
    ap.add_argument("--records", type=int)
    ap.add_argument("--stdin")
    ap.add_argument("--ideal", type=float)
    ap.add_argument("--dss", required=True, metavar="LABEL=CMD")
    ap.add_argument("--peer", metavar="LABEL=CMD")
    ap.add_argument("--floor", action="append", default=[], metavar="LABEL=CMD")
    ap.add_argument("--target", action="append", default=[], metavar="EXPR")
    a = ap.parse_args(argv)

    def cmd(spec, what):
        label, eq, line = spec.partition("=")
        if not eq or not label or not line.strip():
            raise UsageError("bad %s '%s' (want LABEL=CMD)" % (what, spec))
        try:
            words = shlex.split(line)
        except ValueError as e:
            raise UsageError("bad %s '%s': %s" % (what, spec, e))
        return Cmd(label, words, stdin=a.stdin)

    errdir = tempfile.mkdtemp(prefix="pair.")
    try:
        dss = cmd(a.dss, "--dss")
        peer = cmd(a.peer, "--peer") if a.peer else None
        floors = [cmd(f, "--floor") for f in a.floor]
        targets = [Target(t) for t in a.target]
        b = Bench(a.name, "%s against %s" % (dss.name, peer.name if peer else "nothing"),
                  errdir=errdir)
        b.pair(a.name, dss, peer, floors, targets, records=a.records, ideal=a.ideal,
               warm=[a.stdin] if a.stdin else ())
        return b.finish()
    except UsageError as e:
        print("pair.py: %s" % e, file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(errdir, ignore_errors=True)


def bench_main(fn):
    """Runs a bench script's fn(), mapping usage errors to exit 2."""
    try:
        sys.exit(fn())
    except UsageError as e:
        print("%s: %s" % (os.path.basename(sys.argv[0]), e), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
