#!/usr/bin/env python3
"""stalkd on a Redis Cluster, measured beside stalkd on its own journal (docs/benchmarks.md).

Starts everything itself on free loopback ports and stops it again by pid: Redis Cluster
nodes (redis-server --cluster-enabled yes, slots split evenly with CLUSTER ADDSLOTSRANGE and
joined with CLUSTER MEET; appendonly yes, appendfsync everysec, as a production node would
run), one or more stalkd nodes with --redis, and stalk_loadgen (bench/loadgen.cc), which
verifies every reply and body.

Cells (each run in every round, variants alternating):
  roundtrip     one connection: put, reserve, delete in sequence -> per-operation latency,
                the figure Beanspike published (put ~0.6 ms, reserve 3.6-15 ms)
  put           16 connections x 16 pipelined, 100 B bodies, spread over 16 tubes
  reserve-delete  the same shape, consumers over prefilled tubes, each watching all 16
  reserve-delete-w1  the same, each consumer watching one tube
Variants: beanstalkd in memory and with -b (the reference, in the same run), stalkd in memory,
stalkd -b (journal, fsync every 50 ms), stalkd --redis on 1 and
on 3 primaries, and with --nodes 2 two stalkd nodes on the 3-primary cluster, one loadgen each
(throughput summed).

Usage:
  python3 bench/redis_bench.py [--rounds 3] [--duration-s 3] [--only cell,...]
      [--stalkd PATH] [--loadgen PATH] [--json-out FILE] [--nodes 2]
Exit status: 0 when every run verified, 1 otherwise. Python 3 standard library only.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLOTS = 16384


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cli(port, *args, timeout_s=10):
    p = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + list(args),
                       capture_output=True, text=True, timeout=timeout_s)
    if p.returncode != 0:
        raise RuntimeError(f"redis-cli -p {port} {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout.strip()


def wait_until(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (RuntimeError, subprocess.TimeoutExpired, OSError):
            pass
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


class Cluster:
    """`primaries` Redis Cluster primaries, no replicas (a benchmark of the primaries' work)."""

    def __init__(self, primaries, tmp_root):
        self.primaries = primaries
        self.dir = tempfile.mkdtemp(prefix=f"redis{primaries}-", dir=tmp_root)
        self.procs = []
        self.ports = []
        self.bus_ports = []

    def start(self):
        try:
            return self._start()
        except BaseException:
            self.stop()  # never leave a half-started cluster behind
            raise

    def _start(self):
        for i in range(self.primaries):
            port, bus = free_port(), free_port()
            d = os.path.join(self.dir, str(port))
            os.makedirs(d)
            log = open(os.path.join(d, "redis.log"), "w")
            self.procs.append(subprocess.Popen(
                ["redis-server", "--port", str(port), "--cluster-port", str(bus), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                 "--cluster-enabled", "yes", "--cluster-config-file", os.path.join(d, "nodes.conf"),
                 "--cluster-node-timeout", "2000", "--dir", d, "--daemonize", "no"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log))
            self.ports.append(port)
            self.bus_ports.append(bus)
        for port in self.ports:
            wait_until(lambda p=port: redis_cli(p, "ping") == "PONG", 10, f"redis {port}")
        per = SLOTS // self.primaries
        for i, port in enumerate(self.ports):
            first = i * per
            last = SLOTS - 1 if i == self.primaries - 1 else first + per - 1
            redis_cli(port, "cluster", "addslotsrange", str(first), str(last))
        for port, bus in zip(self.ports[1:], self.bus_ports[1:]):
            redis_cli(self.ports[0], "cluster", "meet", "127.0.0.1", str(port), str(bus))
        for port in self.ports:
            wait_until(lambda p=port: "cluster_state:ok" in redis_cli(p, "cluster", "info"), 30,
                       f"cluster_state:ok on {port}")
        # Every node must know every other before clients read the slot map.
        for port in self.ports:
            wait_until(lambda p=port: len(redis_cli(p, "cluster", "nodes").splitlines()) == self.primaries,
                       30, f"cluster nodes on {port}")
        return self

    def address(self):
        return "redis://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """One stalkd or beanstalkd process on a free loopback port."""

    def __init__(self, path, flags, tmp_root):
        self.path, self.flags, self.tmp_root = path, flags, tmp_root
        self.proc = None
        self.port = None

    def start(self):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="stalkd-", suffix=".log", dir=self.tmp_root,
                                               delete=False)
        self.proc = subprocess.Popen([self.path, "-l", "127.0.0.1", "-p", str(self.port)] + self.flags,
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

        def listening():
            if self.proc.poll() is not None:
                raise SystemExit(f"stalkd exited: {open(self.log.name).read()[-500:]}")
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        wait_until(listening, 15, "stalkd to listen")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


PIPELINED = ["--connections", "16", "--pipeline", "16", "--tubes", "16"]
CELLS = {
    "roundtrip": ["--workload", "roundtrip", "--connections", "1", "--body-bytes", "100"],
    "put": ["--workload", "put", "--body-bytes", "100"] + PIPELINED,
    # Each consumer watches all 16 tubes: every reserve is a cross-tube pick (16 head reads).
    "reserve-delete": ["--workload", "reserve-delete", "--body-bytes", "100"] + PIPELINED,
    # Each consumer watches one tube (a worker per job type): one round trip per reserve.
    "reserve-delete-w1": ["--workload", "reserve-delete", "--body-bytes", "100", "--watch", "1"]
    + PIPELINED,
}
# label -> (redis primaries or None, server flags, server processes)
VARIANTS = {
    "memory": (None, [], 1),
    "journal -b": (None, ["-b", "{dir}"], 1),
    "redis 1 primary": (1, [], 1),
    "redis 3 primaries": (3, [], 1),
    # The reference, in the same run: Debian's beanstalkd, in memory and with its binlog.
    "beanstalkd": (None, [], 1),
    "beanstalkd -b": (None, ["-b", "{dir}"], 1),
}


def run_loadgen(loadgen, port, args, duration_s, prefill):
    cmd = [loadgen, "--port", str(port), "--duration-s", str(duration_s)] + args
    if prefill:
        cmd += ["--prefill", str(prefill)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration_s + 600)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"ok": False, "error": f"exit {p.returncode}: {p.stderr[-400:]}", "cmd": cmd}
    r = json.loads(lines[-1])
    r["cmd"] = cmd
    r["ok"] = r.get("ok", False) and p.returncode == 0
    return r


def run_variant(o, tmp_root, label, cell, round_no):
    primaries, flags, nodes = VARIANTS[label]
    cluster = Cluster(primaries, tmp_root).start() if primaries else None
    data_dir = tempfile.mkdtemp(prefix="journal-", dir=tmp_root)
    servers = []
    try:
        f = [x.replace("{dir}", data_dir) for x in flags]
        if cluster:
            f += ["--redis", cluster.address()]
        for _ in range(nodes):
            binary = o.beanstalkd if label.startswith("beanstalkd") else o.stalkd
            servers.append(Server(binary, f, tmp_root))
            servers[-1].start()  # appended first, so the finally below stops it on failure
        prefill = o.prefill if cell.startswith("reserve-delete") else 0
        if nodes == 1:
            return run_loadgen(o.loadgen, servers[0].port, CELLS[cell], o.duration_s, prefill)
        # Several nodes: one loadgen per node at once, throughput summed.
        procs = []
        for i, s in enumerate(servers):
            # Each node's load on tubes of its own: the loadgen checks that a round trip
            # reserves the job it just put, which another node's clients would break.
            cmd = [o.loadgen, "--port", str(s.port), "--duration-s", str(o.duration_s),
                   "--tube-prefix", f"node{i}-"] + CELLS[cell]
            if prefill:
                cmd += ["--prefill", str(prefill // nodes)]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outs = [json.loads([ln for ln in p.communicate(timeout=o.duration_s + 600)[0].splitlines()
                            if ln.startswith("{")][-1]) for p in procs]
        merged = dict(outs[0])
        merged["jobs_per_s"] = sum(x.get("jobs_per_s", 0) for x in outs)
        merged["ops_per_s"] = sum(x.get("ops_per_s", 0) for x in outs)
        merged["ok"] = all(x.get("ok") for x in outs)
        merged["per_node"] = outs
        return merged
    finally:
        for s in servers:
            s.stop()
        if cluster:
            cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stalkd", default=os.path.join(REPO, "build-release/src/server/stalkd"))
    ap.add_argument("--beanstalkd", default="/usr/bin/beanstalkd")
    ap.add_argument("--loadgen", default=os.path.join(REPO, "build-release/bench/stalk_loadgen"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration-s", type=float, default=3)
    ap.add_argument("--prefill", type=int, default=60000)
    ap.add_argument("--nodes", type=int, default=0, help="also run 'redis 3 primaries' with N stalkd nodes")
    ap.add_argument("--only", default="", help="cells: " + ", ".join(CELLS))
    ap.add_argument("--json-out", default=os.path.join(REPO, "build-release/redis_bench.json"),
                    help="raw results (default build-release/redis_bench.json)")
    o = ap.parse_args()
    if o.nodes > 1:
        VARIANTS[f"redis 3 primaries, {o.nodes} stalkd nodes"] = (3, [], o.nodes)
    cells = [c for c in CELLS if not o.only or c in o.only.split(",")]
    tmp_root = tempfile.mkdtemp(prefix="stalk-redis-bench-")
    raw = {c: {v: [] for v in VARIANTS} for c in cells}
    failures = []
    try:
        for rnd in range(o.rounds):
            for cell in cells:
                for label in VARIANTS:
                    if cell == "roundtrip" and VARIANTS[label][2] > 1:
                        continue  # a latency cell: one connection to one node
                    r = run_variant(o, tmp_root, label, cell, rnd)
                    raw[cell][label].append(r)
                    if not r.get("ok"):
                        failures.append(f"{cell}/{label}: {r.get('error') or r.get('first_error')}")
                    print(f"round {rnd + 1} {cell:15s} {label:34s} "
                          f"jobs/s {r.get('jobs_per_s', 0):10.0f}", file=sys.stderr)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    with open(o.json_out, "w") as f:
        json.dump(raw, f, indent=1)

    def med(results, path):
        vals = []
        for r in results:
            v = r
            for k in path:
                v = v.get(k, {}) if isinstance(v, dict) else {}
            if isinstance(v, (int, float)):
                vals.append(v)
        return statistics.median(vals) if vals else None

    print(f"\nmedians over {o.rounds} rounds, {o.duration_s} s per cell")
    for cell in cells:
        print(f"\n{cell}")
        if cell == "roundtrip":
            print(f"  {'variant':34s} {'put p50':>9s} {'reserve p50':>12s} {'delete p50':>11s} "
                  f"{'put p99':>9s} {'reserve p99':>12s} (ms)")
            for label in VARIANTS:
                rs = raw[cell][label]
                if not rs:
                    continue
                g = [med(rs, ["by_op", op, q]) for q in ("p50_us", "p99_us") for op in ("put", "reserve", "delete")]
                ms = ["   -" if v is None else f"{v / 1000:.3f}" for v in g]
                print(f"  {label:34s} {ms[0]:>9s} {ms[1]:>12s} {ms[2]:>11s} {ms[3]:>9s} {ms[4]:>12s}")
        else:
            base = med(raw[cell]["memory"], ["jobs_per_s"])
            for label in VARIANTS:
                v = med(raw[cell][label], ["jobs_per_s"])
                ratio = f"{v / base:.2f}x of memory" if v and base else ""
                print(f"  {label:34s} {v or 0:12.0f} jobs/s  {ratio}")
    if failures:
        print("\nFAILED runs:\n  " + "\n  ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
