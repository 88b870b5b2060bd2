"""flags.py: the program's own flag table, read from its --help (never
copied): for each flag its THANOS_FCGI_* name, whether it is a list
(repeatable: a repeated flag appends) and whether it is process only (never
a request parameter)."""

import os
import re
import subprocess

FLAG_LINE = re.compile(r"^  (--[a-z0-9.-]+)")
ENV_LINE = re.compile(r"^ +env (THANOS_FCGI_[A-Z0-9_]+)")


class Flag:
    def __init__(self, name, listed):
        self.name = name
        self.env = None
        self.listed = listed
        self.process_only = False


def read_table(binary):
    """{flag: Flag} from `binary --help`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THANOS_FCGI_")}
    out = subprocess.run([binary, "--help"], env=env, capture_output=True, text=True,
                         check=True).stdout
    table = {}
    cur = None
    for line in out.splitlines():
        m = FLAG_LINE.match(line)
        if m:
            cur = Flag(m.group(1), "(repeatable)" in line)
            continue
        m = ENV_LINE.match(line)
        if cur is not None and m:
            cur.env = m.group(1)
            cur.process_only = "(process only)" in line
            table[cur.name] = cur
            cur = None
    if len(table) <= 20:
        raise AssertionError("flag table: %d flags read from --help" % len(table))
    return table


def pairs(flags):
    """[(flag, value)] of a flat [flag, value, flag, value...] list."""
    if len(flags) % 2:
        raise ValueError("flags come in pairs: %r" % flags)
    return list(zip(flags[0::2], flags[1::2]))


def as_env(table, flags):
    """The settings as THANOS_FCGI_* variables (a repeated list flag joined
    with commas)."""
    out = {}
    for f, v in pairs(flags):
        e = table[f].env
        out[e] = out[e] + "," + v if e in out and table[f].listed else v
    return out


def split_params(table, flags):
    """params mode: (the process-only flags, kept as flags; every other
    setting as its request parameter)."""
    keep, rest = [], []
    for f, v in pairs(flags):
        (keep if table[f].process_only else rest).extend([f, v])
    return keep, as_env(table, rest)
