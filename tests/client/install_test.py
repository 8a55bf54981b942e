#!/usr/bin/env python3
"""The installed libstalk package, end to end.

Installs the libstalk component of a build tree into a temporary prefix, checks
what was installed (headers self-contained, CMake package, stalk.pc), builds
examples/ against it with find_package(stalk), compiles a one-line program with
pkg-config, then runs the example producer and worker against a stalkd started
here (stopped by pid at the end). Then the same package straight on Redis: the
producer Dials redis://... of a redis-server started here, and a program built with
pkg-config reserves the jobs through the same URL."""

import argparse
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=kw.pop("timeout", 300), **kw)
    if r.returncode != 0:
        print(r.stdout)
        raise SystemExit(f"FAILED ({r.returncode}): {' '.join(cmd)}")
    return r.stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_installed(prefix):
    headers = sorted(glob.glob(os.path.join(prefix, "include", "stalk", "*.h")))
    names = {os.path.basename(h) for h in headers}
    for want in ("client.h", "stats.h", "stalk.h", "compression.h"):
        assert want in names, f"{want} not installed: {names}"
    # Installed headers include only <stalk/...> (or "stalk/...") and the standard library.
    for h in headers:
        for line in open(h):
            m = re.match(r'\s*#\s*include\s*[<"]([^>"]+)[>"]', line)
            if m and "/" in m.group(1) and not m.group(1).startswith("stalk/"):
                raise SystemExit(f"{h} includes {m.group(1)}, which is not installed")
    for pattern in ("lib*/libstalk.a", "lib*/cmake/stalk/stalkConfig.cmake",
                    "lib*/cmake/stalk/stalkConfigVersion.cmake",
                    "lib*/cmake/stalk/stalkTargets.cmake", "lib*/pkgconfig/stalk.pc"):
        found = glob.glob(os.path.join(prefix, pattern))
        assert found, f"{pattern} not installed under {prefix}"
    return os.path.dirname(glob.glob(os.path.join(prefix, "lib*/pkgconfig/stalk.pc"))[0])


REDIS_WORKER = r"""
#include <stalk/stalk.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
// Reserves and deletes `count` jobs of the tube "examples" at argv[1] (redis://...).
int main(int argc, char** argv) {
  if (argc < 3) return 2;
  auto conn = stalk::Dial(argv[1]);
  if (!conn) { std::fprintf(stderr, "%s\n", conn.status().ToString().c_str()); return 1; }
  if (conn->client() != nullptr) return 3;  // no beanstalkd connection behind Redis
  auto tube = conn->Use("examples");
  for (int i = 0, n = std::atoi(argv[2]); i < n; ++i) {
    auto job = tube->Reserve(std::chrono::seconds(30));
    if (!job) { std::fprintf(stderr, "%s\n", job.status().ToString().c_str()); return 1; }
    std::printf("job %llu (%zu bytes)\n", (unsigned long long)job->id, job->body.size());
    if (!tube->Delete(job->id)) return 1;
  }
  std::printf("worked %s jobs\n", argv[2]);
  return 0;
}
"""


def wait_for_port(port, proc, what):
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                raise SystemExit(f"{what} did not start")
            time.sleep(0.05)


def stop(proc):
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--examples-dir", required=True)
    ap.add_argument("--stalkd", required=True)
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--redis-server", default="/usr/bin/redis-server")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="stalk-install-test-")
    server = None
    redis = None
    try:
        prefix = os.path.join(tmp, "prefix")
        run([args.cmake, "--install", args.build_dir, "--prefix", prefix,
             "--component", "libstalk"])
        pcdir = check_installed(prefix)

        # examples/ as a user would build it.
        ex_build = os.path.join(tmp, "examples")
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        run([args.cmake, "-S", args.examples_dir, "-B", ex_build, *gen,
             f"-DCMAKE_PREFIX_PATH={prefix}"])
        run([args.cmake, "--build", ex_build])

        # One line through pkg-config (libstalk is static: --static brings liblz4).
        env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
        flags = run(["pkg-config", "--cflags", "--libs", "--static", "stalk"], env=env).split()
        src = os.path.join(tmp, "one.cc")
        with open(src, "w") as f:
            f.write('#include <stalk/stalk.h>\n'
                    'int main() { return stalk::Dial("127.0.0.1:1").ok() ? 1 : 0; }\n')
        exe = os.path.join(tmp, "one")
        cxx = os.environ.get("CXX", "c++")
        run([cxx, "-std=c++20", src, "-o", exe, *flags])
        run([exe])  # nothing listens on port 1: Dial fails cleanly, exit 0

        # Producer then worker against a stalkd of this build.
        port = free_port()
        log = open(os.path.join(tmp, "stalkd.log"), "w")
        server = subprocess.Popen([args.stalkd, "-l", "127.0.0.1", "-p", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit("stalkd did not start")
                time.sleep(0.05)
        addr = f"127.0.0.1:{port}"
        out = run([os.path.join(ex_build, "producer"), addr, "6"], timeout=60)
        print(out)
        assert "compressed 3, skipped 3" in out, out
        out = run([os.path.join(ex_build, "worker"), addr, "6"], timeout=60)
        print(out)
        assert "worked 6 jobs" in out, out
        # The odd jobs were stored compressed; the worker saw the original bytes.
        assert out.count("(4102 bytes)") == 3, out
        # DialDefault through the environment.
        env = dict(os.environ, STALKD_HOST="127.0.0.1", STALKD_PORT=f"tcp://127.0.0.1:{port}")
        out = run([os.path.join(ex_build, "producer")], env=env, timeout=60)
        assert "put " in out, out

        # Straight on Redis: the installed package Dials redis:// with no stalkd.
        if os.access(args.redis_server, os.X_OK):
            rport = free_port()
            rlog = open(os.path.join(tmp, "redis.log"), "w")
            redis = subprocess.Popen([args.redis_server, "--port", str(rport),
                                      "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                      "--daemonize", "no", "--dir", tmp],
                                     stdout=rlog, stderr=subprocess.STDOUT)
            wait_for_port(rport, redis, "redis-server")
            url = f"redis://127.0.0.1:{rport}"
            out = run([os.path.join(ex_build, "producer"), url, "6"], timeout=60)
            print(out)
            assert "compressed 3, skipped 3" in out, out
            src = os.path.join(tmp, "redis_worker.cc")
            with open(src, "w") as f:
                f.write(REDIS_WORKER)
            exe = os.path.join(tmp, "redis_worker")
            run([cxx, "-std=c++20", src, "-o", exe, *flags])
            out = run([exe, url, "6"], timeout=120)
            print(out)
            assert "worked 6 jobs" in out, out
            assert out.count("(4102 bytes)") == 3, out
        else:
            print(f"no {args.redis_server}: the redis:// part is not run")
        print("install test: OK")
    finally:
        stop(server)
        stop(redis)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
