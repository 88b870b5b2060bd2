#!/usr/bin/env python3
"""fcgi_client.py ADDR: one FastCGI request, as `cgi-fcgi -bind -connect ADDR`.

ADDR is HOST:PORT or the path of a unix socket.  The whole environment goes
as FCGI_PARAMS, stdin as FCGI_STDIN, FCGI_STDOUT to stdout and FCGI_STDERR
to stderr as they come.  Exits with the application status of
FCGI_END_REQUEST, or 2 when the connection ends without one or a record is
malformed (an aborted answer), with one line on stderr.

cgi-fcgi itself cannot serve as the test client: it mis-parses a record
header that a read() splits (it copies the second part to &header +
headerLen, counted in headers, not bytes), which any record larger than its
8 KiB read buffer makes likely.
"""

import os
import socket
import struct
import sys
import threading

BEGIN, END, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RID = 1


def record(rtype, content):
    return struct.pack(">BBHHBx", 1, rtype, RID, len(content), 0) + content


def pair_len(n):
    return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)


def params(env):
    out = b""
    for k, v in env.items():
        k, v = os.fsencode(k), os.fsencode(v)
        out += pair_len(len(k)) + pair_len(len(v)) + k + v
    return out


def connect(addr):
    host, sep, port = addr.rpartition(":")
    if sep and port.isdigit() and not addr.startswith("/"):
        s = socket.create_connection((host or "127.0.0.1", int(port)))
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr)
    return s


def send_request(s):
    s.sendall(record(BEGIN, struct.pack(">HB5x", 1, 0)))  # RESPONDER
    p = params(os.environ)
    for i in range(0, len(p), 65535):
        s.sendall(record(PARAMS, p[i:i + 65535]))
    s.sendall(record(PARAMS, b""))
    n = int(os.environ.get("CONTENT_LENGTH") or "0")
    while True:
        data = sys.stdin.buffer.read1(65535) if n > 0 else b""
        if not data:
            break
        try:
            s.sendall(record(STDIN, data))
        except OSError:
            return  # the application answered without reading it all
    try:
        s.sendall(record(STDIN, b""))
    except OSError:
        pass  # the application closed first


def read_answer(s):
    out, err = sys.stdout.buffer, sys.stderr.buffer
    buf = b""
    while True:
        while len(buf) >= 8:
            ver, rtype, rid, clen, plen = struct.unpack(">BBHHBx", buf[:8])
            if ver != 1 or rid != RID:
                sys.stderr.write("fcgi_client: bad record (version %d, id %d)\n" % (ver, rid))
                return 2
            if len(buf) < 8 + clen + plen:
                break
            content = buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == STDOUT:
                out.write(content)
                out.flush()
            elif rtype == STDERR:
                err.write(content)
                err.flush()
            elif rtype == END:
                return struct.unpack(">I", content[:4])[0] & 0xFF
        try:
            data = s.recv(65536)
        except OSError as e:
            sys.stderr.write("fcgi_client: %s\n" % e)
            return 2
        if not data:
            sys.stderr.write("fcgi_client: connection closed before FCGI_END_REQUEST\n")
            return 2
        buf += data


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: fcgi_client.py HOST:PORT|SOCKET\n")
        return 2
    s = connect(sys.argv[1])
    # The answer may start before the body is all sent (a 413): both at once.
    threading.Thread(target=send_request, args=(s,), daemon=True).start()
    return read_answer(s)


if __name__ == "__main__":
    sys.exit(main())
