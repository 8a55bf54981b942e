"""The quoting rule, checked with real YAML readers.

stalkd writes a string value bare where a YAML reader reads it back as the same
string and quotes it only where it would not. For tube names that YAML would read
as numbers, booleans, nulls or dates, and for the `os` line, parse stalkd's
documents with PyYAML (YAML 1.1) and Ruby's Psych, and require the original
string back. Usage: python3 yaml_readers_test.py PORT
"""
import json
import os
import socket
import subprocess
import sys

import yaml

# Names every YAML reader reads bare as the same string: these must not be quoted.
PLAIN = ["default", "foo", "x86_64", "my-tube", "a+b/c;d.e$f_g(h)-i", "(x)", "$x", "_y", "a;b",
         "emails.v2", "jobs/high", "Q1"]
# Names some reader reads as something else: a number, bool, null or date in YAML 1.1
# (PyYAML, Psych, go-yaml v2's y/n) or in YAML 1.2's core schema (0o17, +.5).
TRICKY = PLAIN + ["123", "1.5", "0x1F", "1_000", "017", "0b101", "1e3", ".inf", ".NaN", "+1",
                  "yes", "No", "ON", "off", "y", "n", "true", "False", "null", "Null",
                  "2024-01-01", "2024-1-1", "1.2.3", ".5", "5.", "+.5", "1_0.5e+3", "0o17"]


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.line()

    def doc(self, text):
        head = self.cmd(text)
        assert head.startswith("OK "), f"{text!r} -> {head!r}"
        n = int(head[3:])
        while len(self.buf) < n + 2:
            self.buf += self.s.recv(65536)
        body, self.buf = self.buf[:n], self.buf[n + 2:]
        return body.decode()


def ruby_parse(documents):
    """Parses each document with Psych. A scalar Psych reads as anything but a
    String (Integer, Float, true, nil, Date...) comes back tagged with its class,
    so it can never compare equal to the string it was meant to be."""
    script = r"""
require 'yaml'; require 'json'; require 'date'
def tag(v)
  case v
  when Hash then v.transform_values { |x| tag(x) }
  when Array then v.map { |x| tag(x) }
  when String then v
  else { '__class' => v.class.name, 'value' => v.to_s }
  end
end
docs = JSON.parse(STDIN.read)
puts JSON.generate(docs.map { |d| tag(YAML.unsafe_load(d)) })
"""
    out = subprocess.run(["ruby", "-e", script], input=json.dumps(documents), text=True,
                         capture_output=True, check=True)
    return json.loads(out.stdout)


def main():
    port = int(sys.argv[1])
    c = Conn(port)
    failures = []
    docs = []
    for name in TRICKY:
        # Watching keeps every tube alive until the list-tubes below.
        reply = c.cmd(f"watch {name}")
        if not reply.startswith("WATCHING "):
            failures.append(f"use {name}: {reply}")
            continue
        docs.append(("stats-tube", name, c.doc(f"stats-tube {name}")))
    list_doc = c.doc("list-tubes")
    stats_doc = c.doc("stats")

    pyyaml = [yaml.safe_load(d) for _, _, d in docs]
    psych = ruby_parse([d for _, _, d in docs] + [list_doc, stats_doc])
    for (_, name, raw), py, rb in zip(docs, pyyaml, psych):
        for reader, parsed in (("PyYAML", py), ("Psych", rb)):
            if parsed.get("name") != name:
                failures.append(f"{reader}: stats-tube {name!r} name read back as "
                                f"{parsed.get('name')!r}; line: "
                                f"{[l for l in raw.splitlines() if l.startswith('name')]}")
        # The bare form is used whenever every reader reads it back right.
        if name in PLAIN and f'\nname: {name}\n' not in raw:
            failures.append(f"{name!r} was quoted although every reader reads it bare")

    for reader, parsed in (("PyYAML", yaml.safe_load(list_doc)), ("Psych", psych[-2])):
        for name in TRICKY:
            if name not in parsed:
                failures.append(f"{reader}: list-tubes lacks {name!r} (read {parsed!r})")

    uname = os.uname()
    for reader, parsed in (("PyYAML", yaml.safe_load(stats_doc)), ("Psych", psych[-1])):
        for key, want in (("os", uname.version), ("platform", uname.machine),
                          ("hostname", uname.nodename)):
            if parsed.get(key) != want:
                failures.append(f"{reader}: stats {key} read back as {parsed.get(key)!r}, "
                                f"want {want!r}")
        if parsed.get("draining") not in (False, {"__class": "FalseClass", "value": "false"}):
            failures.append(f"{reader}: draining is {parsed.get('draining')!r}")
    for f in failures:
        print("FAIL", f, file=sys.stderr)
    print(f"{len(TRICKY)} names checked with 2 readers, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
