"""Runs one client test script against a freshly started server.

Usage: python3 run_client_tests.py SERVER_BINARY INTERPRETER SCRIPT
Starts SERVER_BINARY on a free loopback port, runs `INTERPRETER SCRIPT PORT`, stops
the server by its pid, and exits with the script's status.
"""
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    server, interpreter, script = sys.argv[1:4]
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen([server, "-l", "127.0.0.1", "-p", str(port)],
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        if proc.poll() is None:
            break
        proc.wait()  # lost the port to someone else: try another
    else:
        print("server did not start", file=sys.stderr)
        return 2
    try:
        result = subprocess.run([interpreter, script, str(port)], timeout=120)
        return result.returncode
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        err = proc.stderr.read().decode(errors="replace")
        if err.strip():
            print("server stderr:\n" + err, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
