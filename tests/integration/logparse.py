#!/usr/bin/env python3
"""Reads the adapter's log lines (tests/harness/test_logs.py imports it:
pairs, bad_logfmt, bad_json; the commands below do the same from a shell).

  logparse.py get KEY [hex]      one logfmt line on stdin: KEY's value,
                                 unescaped (hex: its UTF-8 bytes in hex;
                                 exit 1 when it has no KEY)
  logparse.py bad-logfmt         prints how many lines of stdin are not one
                                 well-formed logfmt line: ts= level= caller=
                                 msg= first, then key=value pairs, every
                                 value bare (no blank, '=', '"' or control
                                 byte) or quoted with only the escapes
                                 \\" \\\\ \\n \\r \\t \\uXXXX inside
  logparse.py bad-json           the same for JSON lines: one object each,
                                 its keys starting ts, level, caller, msg
  logparse.py json-get KEY       one JSON line on stdin: KEY's value
"""
import json
import re
import sys

BARE = r'[^\s"=\x00-\x1f\x7f]*'
QUOTED = r'"(?:[^"\\\x00-\x1f\x7f]|\\["\\nrt]|\\u[0-9a-f]{4})*"'
VALUE = "(?:%s|%s)" % (QUOTED, BARE)
PAIR = re.compile(r"([a-z_]+)=(%s)(?: |$)" % VALUE)
HEAD = re.compile(
    r"^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) "
    r"caller=[a-z_]+\.c:\d+ msg=")
LINE = re.compile(r"^[a-z_]+=%s(?: [a-z_]+=%s)*$" % (VALUE, VALUE))


def pairs(line):
    out = {}
    for m in PAIR.finditer(line):
        v = m.group(2)
        out[m.group(1)] = json.loads(v) if v.startswith('"') else v
    return out


def bad_logfmt(f):
    n = 0
    for raw in f:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if not HEAD.match(line) or not LINE.match(line):
            n += 1
    return n


def bad_json(f):
    n = 0
    for raw in f:
        try:
            d = json.loads(raw)
            if list(d)[:4] != ["ts", "level", "caller", "msg"]:
                n += 1
        except ValueError:
            n += 1
    return n


def main():
    cmd = sys.argv[1]
    if cmd == "get":
        d = pairs(sys.stdin.readline().rstrip("\n"))
        if sys.argv[2] not in d:
            return 1
        v = d[sys.argv[2]]
        if sys.argv[3:] == ["hex"]:
            v = v.encode("utf-8").hex()
        sys.stdout.write(v)
    elif cmd == "json-get":
        d = json.loads(sys.stdin.readline())
        if sys.argv[2] not in d:
            return 1
        sys.stdout.write(str(d[sys.argv[2]]))
    elif cmd == "bad-logfmt":
        print(bad_logfmt(sys.stdin.buffer))
    elif cmd == "bad-json":
        print(bad_json(sys.stdin.buffer))
    else:
        sys.stderr.write("logparse.py: unknown command %s\n" % cmd)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
