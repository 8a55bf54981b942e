#!/usr/bin/env python3
"""Side-by-side benchmark of stalkd and beanstalkd (docs/benchmarks.md).

Builds nothing. Starts every server itself, on a free loopback port, with a fresh
temporary data directory, one fresh server per measurement, and always stops it
again by pid (try/finally). The load comes from stalk_loadgen (bench/loadgen.cc),
which verifies every reply and job body and prints one JSON line per run.

The matrix runs in rounds; inside a round each cell runs once per server, the
servers alternating (stalkd, beanstalkd, stalkd, beanstalkd, ...). The table shows
the median over the rounds and the stalkd/beanstalkd ratio. The server's CPU time
(utime + stime from /proc/<pid>/stat, read by the loadgen right before and after
its measured phase) gives commands per CPU-second of the server.

Two measurements run outside the rounds: memory per ready job (VmRSS growth for
N ready 100-byte jobs) and recovery time (SIGKILL while holding N jobs with -b,
restart, time until `stats` shows them all ready; repeated --rounds times on the
same binlog).

Usage:
  /usr/bin/python3 bench/compare.py [--rounds 3] [--quick] [--only cell[,cell...]]
      [--stalkd PATH] [--beanstalkd PATH] [--loadgen PATH] [--json-out FILE]

Exit status: 0 when every run verified (n/a cells are fine), 1 otherwise.
Python 3 standard library only.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------------------
# Servers


class ServerUnavailable(Exception):
    """The server exited at start-up (e.g. stalkd refusing -b before the journal exists)."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_live_servers = []  # Every server started and not yet stopped; stopped at exit.


class Server:
    """One server process on a loopback port. Stop it with stop() or kill9()."""

    def __init__(self, kind, path, flags, log_dir):
        self.kind = kind
        self.path = path
        self.flags = list(flags)
        self.log_dir = log_dir
        self.proc = None
        self.port = None
        self.log_path = None

    def start(self, wait_ready=True, timeout_s=15.0):
        self.port = free_port()
        cmd = [self.path, "-l", "127.0.0.1", "-p", str(self.port)] + self.flags
        fd, self.log_path = tempfile.mkstemp(prefix=self.kind + "-", suffix=".log", dir=self.log_dir)
        with os.fdopen(fd, "w") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        _live_servers.append(self)
        if not wait_ready:
            return
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                self._reap()
                raise ServerUnavailable(f"{self.kind} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ServerUnavailable(f"{self.kind} did not listen within {timeout_s}s")
            time.sleep(0.01)

    @property
    def pid(self):
        return self.proc.pid

    def exited(self):
        return self.proc.poll() is not None

    def log_tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return " ".join(f.read().split())[-300:]
        except OSError:
            return ""

    def _reap(self):
        if self in _live_servers:
            _live_servers.remove(self)

    def stop(self):
        """SIGTERM by pid, SIGKILL after 5 s."""
        if self.proc is None or self.proc.poll() is not None:
            self._reap()
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reap()

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reap()

    def rss_kb(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def cpu_s(self):
        with open(f"/proc/{self.pid}/stat") as f:
            text = f.read()
        fields = text[text.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_all_servers():
    for s in list(_live_servers):
        try:
            s.stop()
        except Exception as e:  # noqa: BLE001 - keep stopping the others
            print(f"compare.py: stopping {s.kind} pid {s.pid}: {e}", file=sys.stderr)


def beanstalk_stats(port, timeout_s=5.0):
    """`stats` over a fresh connection; returns {key: value-string}."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
        s.sendall(b"stats\r\n")
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("connection closed during stats")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n")
        parts = head.split()
        if len(parts) != 2 or parts[0] != b"OK":
            raise OSError(f"stats: unexpected reply {head!r}")
        need = int(parts[1]) + 2
        while len(rest) < need:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("connection closed during stats body")
            rest += chunk
    out = {}
    for line in rest[: need - 2].decode(errors="replace").splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            out[k] = v
    return out


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return -1.0


# ---------------------------------------------------------------------------
# The matrix

# A variant is (label, server kind, extra flags); "{dir}" becomes the fresh data dir.
STALKD = ("stalkd", "stalkd", [])
BEANSTALKD = ("beanstalkd", "beanstalkd", [])
STALKD_F0 = ("stalkd -b -f0", "stalkd", ["-b", "{dir}", "-f0"])
BEANSTALKD_F0 = ("beanstalkd -b -f0", "beanstalkd", ["-b", "{dir}", "-f0"])
STALKD_B = ("stalkd -b", "stalkd", ["-b", "{dir}"])
BEANSTALKD_B = ("beanstalkd -b", "beanstalkd", ["-b", "{dir}"])

PIPELINED = ["--connections", "16", "--pipeline", "16"]


def load_cells():
    """Cells run by the loadgen in every round: name -> definition."""
    return {
        "put": dict(title="put, 16 conns x 16 pipelined, 100 B, in memory",
                    args=["--workload", "put", "--body-bytes", "100"] + PIPELINED,
                    variants=[STALKD, BEANSTALKD]),
        "reserve-delete": dict(title="reserve+delete, 16 x 16, prefilled, in memory",
                               args=["--workload", "reserve-delete", "--body-bytes", "100"] + PIPELINED,
                               variants=[STALKD, BEANSTALKD], prefill=True),
        "put-reserve-delete": dict(title="put and reserve+delete at once, 8+8 conns x 16",
                                   args=["--workload", "put-and-reserve-delete", "--body-bytes", "100"]
                                   + PIPELINED,
                                   variants=[STALKD, BEANSTALKD]),
        "put-4k": dict(title="put, 16 x 16, 4 KiB bodies, in memory",
                       args=["--workload", "put", "--body-bytes", "4096"] + PIPELINED,
                       variants=[STALKD, BEANSTALKD]),
        "put-binlog-f0": dict(title="put, 16 x 16, 100 B, -b DIR -f0 (fsync every write)",
                              args=["--workload", "put", "--body-bytes", "100"] + PIPELINED,
                              variants=[STALKD_F0, BEANSTALKD_F0, BEANSTALKD],
                              durability="binlog_fsync_ms:0"),
        "put-binlog": dict(title="put, 16 x 16, 100 B, -b DIR (default fsync, 50 ms)",
                           args=["--workload", "put", "--body-bytes", "100"] + PIPELINED,
                           variants=[STALKD_B, BEANSTALKD_B],
                           durability="binlog_fsync_ms:50"),
        "put-256x1": dict(title="put, 256 conns x 1 in flight, 100 B",
                          args=["--workload", "put", "--body-bytes", "100", "--connections", "256",
                                "--pipeline", "1"],
                          variants=[STALKD, BEANSTALKD]),
        "roundtrip": dict(title="one connection: put, reserve, delete in sequence",
                          args=["--workload", "roundtrip", "--connections", "1", "--body-bytes", "100"],
                          variants=[STALKD, BEANSTALKD]),
        "tubes-1": dict(title="round trip, 1 tube, consumer watching it",
                        args=["--workload", "roundtrip", "--connections", "1", "--tubes", "1",
                              "--watch", "1"],
                        variants=[STALKD, BEANSTALKD]),
        "tubes-10k": dict(title="round trip, 10,000 tubes (1 job each), consumer watching 100",
                          args=["--workload", "roundtrip", "--connections", "1", "--tubes", "10000",
                                "--watch", "100", "--prefill", "9900"],
                          variants=[STALKD, BEANSTALKD]),
    }


def bench_name(cell):
    """The cell's parameters as a benchmark name, e.g. BM_Put/conns:16/pipeline:16/body_bytes:100/memory."""
    a = dict(zip(cell["args"][::2], cell["args"][1::2]))
    workload = a["--workload"]
    name = "BM_" + "".join(w.capitalize() for w in workload.replace("-and-", "-").split("-"))
    name += f"/conns:{a.get('--connections', 16)}"
    if workload != "roundtrip":
        name += f"/pipeline:{a.get('--pipeline', 16)}"
    name += f"/body_bytes:{a.get('--body-bytes', 100)}"
    if "--tubes" in a:
        name += f"/tubes:{a['--tubes']}/watch:{a.get('--watch', a['--tubes'])}"
    return name + "/" + cell.get("durability", "memory")


SPECIAL_CELLS = ("memory", "recovery")
GROUPS = {"tubes": ("tubes-1", "tubes-10k")}


def selected_cells(only):
    cells = load_cells()
    names = list(cells) + list(SPECIAL_CELLS)
    if not only:
        return list(cells), list(SPECIAL_CELLS)
    want = []
    for n in only.split(","):
        n = n.strip()
        if n in GROUPS:
            want.extend(GROUPS[n])
        elif n in names:
            want.append(n)
        else:
            raise SystemExit(f"compare.py: unknown cell '{n}'; cells: {', '.join(names + list(GROUPS))}")
    return [n for n in cells if n in want], [n for n in SPECIAL_CELLS if n in want]


# ---------------------------------------------------------------------------
# Running


class Runner:
    def __init__(self, opts):
        self.o = opts
        self.paths = {"stalkd": opts.stalkd, "beanstalkd": opts.beanstalkd}
        self.tmp_root = tempfile.mkdtemp(prefix="stalk-bench-", dir=opts.tmp_dir)
        self.na = {}  # (kind, uses binlog) -> reason; skip in later rounds.
        self.failures = []
        # reserve-delete: jobs/s seen per variant, to size the next prefill.
        self.rate_seen = {}
        self.put_rate_seen = {}

    def cleanup(self):
        shutil.rmtree(self.tmp_root, ignore_errors=True)

    def available(self, kind):
        p = self.paths[kind]
        return os.path.isfile(p) and os.access(p, os.X_OK)

    def new_server(self, variant, data_dir):
        label, kind, flags = variant
        flags = [f.replace("{dir}", data_dir) for f in flags]
        return Server(kind, self.paths[kind], flags, self.tmp_root)

    @staticmethod
    def binlog_unavailable(variant, exc):
        """True when stalkd refused -b because this build has no journal (an n/a cell,
        not a failure). Any other start-up failure with -b is a real error."""
        label, kind, flags = variant
        return kind == "stalkd" and "-b" in flags and "not available" in str(exc).lower()

    def run_loadgen(self, args, timeout_s):
        cmd = [self.o.loadgen] + args
        try:
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"loadgen timed out after {timeout_s}s", "cmd": cmd}
        lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            return {"ok": False, "error": f"loadgen exit {p.returncode}, no JSON; stderr: {p.stderr[-500:]}",
                    "cmd": cmd}
        r = json.loads(lines[-1])
        r["exit_code"] = p.returncode
        r["cmd"] = cmd
        if p.returncode != 0:
            r["ok"] = False
            r.setdefault("error", r.get("first_error", p.stderr[-500:]))
        return r

    def run_cell(self, name, cell, variant, round_no):
        label, kind, flags = variant
        key = (kind, "-b" in flags)
        if key in self.na:
            return {"na": self.na[key]}
        if not self.available(kind):
            return {"na": f"{kind}: not found at {self.paths[kind]}"}
        data_dir = tempfile.mkdtemp(prefix=f"{name}-", dir=self.tmp_root)
        server = self.new_server(variant, data_dir)
        try:
            try:
                server.start()
            except ServerUnavailable as e:
                if self.binlog_unavailable(variant, e):
                    self.na[key] = "stalkd: -b not available"
                    return {"na": self.na[key], "detail": str(e)}
                self.failures.append(f"{name}/{label}: {e}")
                return {"ok": False, "error": str(e)}
            args = ["--port", str(server.port), "--server-pid", str(server.pid),
                    "--duration-s", str(self.o.duration_s)] + cell["args"]
            if cell.get("prefill"):
                # Enough jobs to last the cell: from this variant's last reserve-delete
                # run, else from its put rate (one job is two commands here).
                rate = self.rate_seen.get(label) or 0.6 * self.put_rate_seen.get(label, 100000.0)
                n = int(min(max(rate * self.o.duration_s * 1.3, 20000), 3_000_000))
                args += ["--prefill", str(n)]
            load_before = loadavg()
            r = self.run_loadgen(args, timeout_s=self.o.duration_s + 600)
            r["loadavg_1m"] = load_before
            r["round"] = round_no
            if cell.get("prefill") and r.get("ok"):
                self.rate_seen[label] = max(r.get("jobs_per_s", 0), 1000.0)
            if name == "put" and r.get("ok"):
                self.put_rate_seen[label] = max(r.get("jobs_per_s", 0), 1000.0)
            if server.exited():
                r["ok"] = False
                r["error"] = f"server exited during the run: {server.log_tail()}"
            if not r.get("ok"):
                self.failures.append(f"{name}/{label}: {r.get('error')}")
            return r
        finally:
            server.stop()
            shutil.rmtree(data_dir, ignore_errors=True)

    # --- memory per job ---------------------------------------------------
    def run_memory(self, variant):
        label, kind, flags = variant
        if not self.available(kind):
            return {"na": f"{kind}: not found"}
        n = self.o.jobs
        data_dir = tempfile.mkdtemp(prefix="memory-", dir=self.tmp_root)
        server = self.new_server(variant, data_dir)
        try:
            try:
                server.start()
            except ServerUnavailable as e:
                self.failures.append(f"memory/{label}: {e}")
                return {"ok": False, "error": str(e)}
            beanstalk_stats(server.port)
            rss0 = server.rss_kb()
            r = self.run_loadgen(["--port", str(server.port), "--workload", "put", "--count", str(n),
                                  "--body-bytes", "100"] + PIPELINED, timeout_s=900)
            st = beanstalk_stats(server.port)
            time.sleep(0.2)
            rss1 = server.rss_kb()
            ready = int(st.get("current-jobs-ready", -1))
            out = {"ok": bool(r.get("ok")) and ready == n, "jobs": n, "ready": ready, "rss_before_kb": rss0,
                   "rss_after_kb": rss1, "bytes_per_job": (rss1 - rss0) * 1024.0 / n,
                   "put_jobs_per_s": r.get("jobs_per_s"), "loadgen": r}
            if not out["ok"]:
                out["error"] = r.get("error") or f"current-jobs-ready {ready} != {n}"
                self.failures.append(f"memory/{label}: {out['error']}")
            return out
        finally:
            server.stop()
            shutil.rmtree(data_dir, ignore_errors=True)

    # --- recovery ----------------------------------------------------------
    def run_recovery(self, variant):
        label, kind, flags = variant
        if not self.available(kind):
            return {"na": f"{kind}: not found"}
        n = self.o.jobs
        data_dir = tempfile.mkdtemp(prefix="recovery-", dir=self.tmp_root)
        try:
            server = self.new_server(variant, data_dir)
            try:
                try:
                    server.start()
                except ServerUnavailable as e:
                    if self.binlog_unavailable(variant, e):
                        return {"na": "stalkd: -b not available", "detail": str(e)}
                    self.failures.append(f"recovery/{label}: {e}")
                    return {"ok": False, "error": str(e)}
                r = self.run_loadgen(["--port", str(server.port), "--workload", "put", "--count", str(n),
                                      "--body-bytes", "100"] + PIPELINED, timeout_s=1800)
                ready = int(beanstalk_stats(server.port).get("current-jobs-ready", -1))
                if not r.get("ok") or ready != n:
                    err = r.get("error") or f"current-jobs-ready {ready} != {n} before the kill"
                    self.failures.append(f"recovery/{label}: {err}")
                    return {"ok": False, "error": err, "loadgen": r}
                server.kill9()
            finally:
                server.kill9()
            out = {"ok": True, "jobs": n, "put_jobs_per_s": r.get("jobs_per_s"), "binlog_bytes": du(data_dir),
                   "restarts": []}
            for _ in range(self.o.rounds):
                server = self.new_server(variant, data_dir)
                try:
                    t0 = time.monotonic()
                    server.start(wait_ready=False)
                    seconds, last = wait_for_ready_jobs(server, n, timeout_s=600)
                    if seconds is None:
                        out["ok"] = False
                        out["error"] = f"after restart: {last}"
                        self.failures.append(f"recovery/{label}: {out['error']}")
                        break
                    out["restarts"].append({"seconds": seconds - t0, "rss_kb": server.rss_kb()})
                finally:
                    server.kill9()
            if out["restarts"]:
                out["seconds_median"] = statistics.median(x["seconds"] for x in out["restarts"])
            return out
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


def wait_for_ready_jobs(server, n, timeout_s):
    """Polls `stats` until current-jobs-ready == n; returns (monotonic time, last state)."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if server.exited():
            return None, f"server exited: {server.log_tail()}"
        try:
            st = beanstalk_stats(server.port, timeout_s=timeout_s)
            ready = int(st.get("current-jobs-ready", -1))
            if ready == n:
                return time.monotonic(), "ok"
            last = f"current-jobs-ready {ready}"
        except (OSError, ValueError) as e:
            last = str(e)
        time.sleep(0.002)
    return None, f"timed out; last: {last}"


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


# ---------------------------------------------------------------------------
# Reporting


def machine_info(tmp_dir):
    info = {"nproc": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    # The block device holding the temp dir (where -b writes).
    try:
        best = ""
        dev = fstype = ""
        real = os.path.realpath(tmp_dir)
        with open("/proc/mounts") as f:
            for line in f:
                d, mnt, fs = line.split()[:3]
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                    best, dev, fstype = mnt, d, fs
        info["data_dir_fs"] = f"{dev} ({fstype}) mounted on {best}"
        name = os.path.basename(dev)
        rot = f"/sys/block/{name}/queue/rotational"
        if os.path.exists(rot):
            with open(rot) as f:
                info["data_dir_rotational"] = f.read().strip() == "1"
    except OSError:
        pass
    return info


def median_of(results, path):
    vals = []
    for r in results:
        if not r.get("ok"):
            continue
        v = r
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, (int, float)):
            vals.append(float(v))
    return statistics.median(vals) if vals else None


def fmt(v, unit=""):
    if v is None:
        return "-"
    if abs(v) >= 100:
        s = f"{v:,.0f}"
    elif abs(v) >= 10:
        s = f"{v:.1f}"
    else:
        s = f"{v:.2f}"
    return s + unit


def cell_state(results):
    """'na: reason', 'error', or None when there are usable results."""
    if not results:
        return "not run"
    nas = [r["na"] for r in results if "na" in r]
    if nas and len(nas) == len(results):
        return "n/a (" + nas[0] + ")"
    if not any(r.get("ok") for r in results):
        return "error"
    return None


def build_rows(raw, memory, recovery):
    """Rows: (cell, metric, stalkd text, beanstalkd text, ratio text, better)."""
    rows = []

    def pair(cell, metric, a_label, b_label, path, better, unit=""):
        if cell not in raw:
            return
        a = raw[cell].get(a_label, [])
        b = raw[cell].get(b_label, [])
        sa, sb = cell_state(a), cell_state(b)
        va = None if sa else median_of(a, path)
        vb = None if sb else median_of(b, path)
        ta = sa if sa else fmt(va, unit)
        tb = sb if sb else fmt(vb, unit)
        ratio = f"{va / vb:.2f}" if va is not None and vb else "-"
        rows.append((cell, metric, ta, tb, ratio, better))

    for name in ("put", "reserve-delete", "put-reserve-delete", "put-4k", "put-256x1"):
        pair(name, "commands/s", "stalkd", "beanstalkd", ["ops_per_s"], "higher")
        pair(name, "commands per server CPU-s", "stalkd", "beanstalkd", ["ops_per_server_cpu_s"], "higher")
        pair(name, "p99 latency us", "stalkd", "beanstalkd", ["latency_us", "p99_us"], "lower")
    pair("put-binlog-f0", "commands/s (both -b -f0)", "stalkd -b -f0", "beanstalkd -b -f0", ["ops_per_s"], "higher")
    pair("put-binlog-f0", "commands/s vs beanstalkd WITHOUT binlog", "stalkd -b -f0", "beanstalkd",
         ["ops_per_s"], "higher")
    pair("put-binlog-f0", "commands per server CPU-s (-b -f0)", "stalkd -b -f0", "beanstalkd -b -f0",
         ["ops_per_server_cpu_s"], "higher")
    pair("put-binlog", "commands/s (both -b)", "stalkd -b", "beanstalkd -b", ["ops_per_s"], "higher")
    pair("put-binlog", "commands per server CPU-s (-b)", "stalkd -b", "beanstalkd -b", ["ops_per_server_cpu_s"],
         "higher")
    for op in ("put", "reserve", "delete"):
        for q in ("p50", "p99"):
            pair("roundtrip", f"{op} {q} us", "stalkd", "beanstalkd", ["by_op", op, f"{q}_us"], "lower")
    pair("roundtrip", "round trips (put+reserve+delete)/s", "stalkd", "beanstalkd", ["jobs_per_s"], "higher")
    for cell in ("tubes-1", "tubes-10k"):
        for q in ("p50", "p99"):
            pair(cell, f"reserve {q} us", "stalkd", "beanstalkd", ["by_op", "reserve", f"{q}_us"], "lower")
        pair(cell, "put p50 us", "stalkd", "beanstalkd", ["by_op", "put", "p50_us"], "lower")

    # The 10,000-tube cost: each server's reserve latency with 10,000 tubes over
    # its own latency with 1 tube.
    if "tubes-1" in raw and "tubes-10k" in raw:
        for q in ("p50", "p99"):
            texts = []
            for label in ("stalkd", "beanstalkd"):
                one = median_of(raw["tubes-1"].get(label, []), ["by_op", "reserve", f"{q}_us"])
                many = median_of(raw["tubes-10k"].get(label, []), ["by_op", "reserve", f"{q}_us"])
                texts.append(f"x{many / one:.2f}" if one and many is not None else "-")
            rows.append(("tubes", f"reserve {q}: 10,000 tubes / 1 tube", texts[0], texts[1], "-", "lower"))

    def special(name, data, metric, key, better, unit=""):
        if data is None:
            return
        vals = {}
        for label in ("stalkd", "beanstalkd"):
            d = data.get(label) or {}
            if "na" in d:
                vals[label] = ("n/a (" + d["na"] + ")", None)
            elif not d.get("ok"):
                vals[label] = ("error", None)
            else:
                vals[label] = (fmt(d.get(key), unit), d.get(key))
        va, vb = vals["stalkd"][1], vals["beanstalkd"][1]
        ratio = f"{va / vb:.2f}" if va is not None and vb else "-"
        rows.append((name, metric, vals["stalkd"][0], vals["beanstalkd"][0], ratio, better))

    special("memory", memory, "RSS bytes per ready 100-byte job", "bytes_per_job", "lower")
    special("recovery", recovery, "seconds until all jobs ready after SIGKILL (-b)", "seconds_median", "lower",
            " s")
    return rows


def print_table(rows, out=sys.stdout):
    head = ("cell", "metric", "stalkd", "beanstalkd", "stalkd/beanstalkd", "better")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]

    def line(r):
        return "| " + " | ".join(str(r[i]).ljust(widths[i]) for i in range(len(head))) + " |"

    print(line(head), file=out)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    for r in rows:
        print(line(r), file=out)


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="Benchmark stalkd against beanstalkd (docs/benchmarks.md).")
    ap.add_argument("--stalkd", default=os.path.join(REPO, "build/src/server/stalkd"))
    ap.add_argument("--beanstalkd", default="/usr/bin/beanstalkd")
    ap.add_argument("--loadgen", default=os.path.join(REPO, "build/bench/stalk_loadgen"))
    ap.add_argument("--rounds", type=int, default=None, help="rounds of the matrix (default 3; --quick: 1)")
    ap.add_argument("--duration-s", type=float, default=None, help="length of each cell (default 3; --quick: 1)")
    ap.add_argument("--jobs", type=int, default=None,
                    help="jobs for the memory and recovery cells (default 1000000; --quick: 100000)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 round, 1 s cells, 100k jobs")
    ap.add_argument("--only", default="", help="comma-separated cells: " + ", ".join(
        list(load_cells()) + list(SPECIAL_CELLS) + list(GROUPS)))
    default_json = os.path.join(tempfile.gettempdir(), "stalk-compare-results.json")
    ap.add_argument("--json-out", default=default_json, help=f"raw results (default {default_json})")
    ap.add_argument("--tmp-dir", default=None, help="parent of the servers' data directories (default $TMPDIR)")
    o = ap.parse_args()
    if o.rounds is None:
        o.rounds = 1 if o.quick else 3
    if o.duration_s is None:
        o.duration_s = 1.0 if o.quick else 3.0
    if o.jobs is None:
        o.jobs = 100_000 if o.quick else 1_000_000
    if o.rounds < 1:
        raise SystemExit("compare.py: --rounds must be >= 1")
    for what, p in (("stalkd", o.stalkd), ("loadgen", o.loadgen)):
        if not (os.path.isfile(p) and os.access(p, os.X_OK)):
            raise SystemExit(f"compare.py: {what} not found at {p} (build it first; see docs/benchmarks.md)")
    if not os.path.isfile(o.beanstalkd):
        print(f"compare.py: beanstalkd not found at {o.beanstalkd}; its cells will be n/a", file=sys.stderr)

    # SIGTERM (e.g. a ctest timeout) unwinds through the finally below, which stops
    # every server this script started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    load_names, special_names = selected_cells(o.only)
    cells = load_cells()
    runner = Runner(o)
    raw = {name: {} for name in load_names}
    memory = recovery = None
    started = time.time()
    try:
        for rnd in range(1, o.rounds + 1):
            for name in load_names:
                cell = cells[name]
                for variant in cell["variants"]:
                    r = runner.run_cell(name, cell, variant, rnd)
                    raw[name].setdefault(variant[0], []).append(r)
                    status = ("n/a: " + r["na"]) if "na" in r else (
                        f"{r.get('ops_per_s', 0):,.0f} cmd/s" if r.get("ok") else "ERROR " + str(r.get("error")))
                    print(f"[round {rnd}/{o.rounds}] {name:20s} {variant[0]:20s} {status}", file=sys.stderr,
                          flush=True)
        if "memory" in special_names:
            memory = {}
            for variant in (STALKD, BEANSTALKD):
                memory[variant[0]] = runner.run_memory(variant)
                m = memory[variant[0]]
                print(f"[memory] {variant[0]:12s} " + (f"{m['bytes_per_job']:.0f} B/job" if m.get("ok") else
                                                      str(m.get("na") or m.get("error"))),
                      file=sys.stderr, flush=True)
        if "recovery" in special_names:
            recovery = {}
            for variant in (STALKD_B, BEANSTALKD_B):
                label = variant[1]
                recovery[label] = runner.run_recovery(variant)
                m = recovery[label]
                print(f"[recovery] {label:12s} " + (f"{m.get('seconds_median', 0):.2f} s" if m.get("ok") else
                                                   str(m.get("na") or m.get("error"))),
                      file=sys.stderr, flush=True)
    finally:
        stop_all_servers()
        runner.cleanup()

    rows = build_rows(raw, memory, recovery)
    info = machine_info(o.tmp_dir or tempfile.gettempdir())
    loads = [r["loadavg_1m"] for cell in raw.values() for rs in cell.values() for r in rs if "loadavg_1m" in r]
    load_text = f"; 1-min load average {min(loads):.1f}-{max(loads):.1f} before the cells" if loads else ""
    print(f"stalkd vs beanstalkd: medians of {o.rounds} round(s), {o.duration_s:g} s per cell, "
          f"{info.get('nproc')} CPUs ({info.get('cpu', '?')}) shared by the loadgen and the server{load_text}.")
    print_table(rows)
    result = {
        "machine": info,
        "options": {k: v for k, v in vars(o).items()},
        "started_unix": started,
        "wall_s": time.time() - started,
        "cells": {name: {"title": cells[name]["title"], "bench_name": bench_name(cells[name]),
                         "args": cells[name]["args"], "results": raw[name]}
                  for name in load_names},
        "memory": memory,
        "recovery": recovery,
        "table": [dict(zip(("cell", "metric", "stalkd", "beanstalkd", "ratio", "better"), r)) for r in rows],
        "failures": runner.failures,
    }
    with open(o.json_out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"raw results: {o.json_out} ({time.time() - started:.0f} s)", file=sys.stderr)
    if runner.failures:
        print("FAILURES:\n  " + "\n  ".join(runner.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
