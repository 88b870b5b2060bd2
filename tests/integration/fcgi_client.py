#!/usr/bin/env python3
"""fcgi_client.py: the tests' one FastCGI client (web server side).

As a program, `fcgi_client.py ADDR` makes one FastCGI request, as
`cgi-fcgi -bind -connect ADDR` would: ADDR is HOST:PORT or the path of a
unix socket.  The whole environment goes as FCGI_PARAMS, stdin as
FCGI_STDIN, FCGI_STDOUT to stdout and FCGI_STDERR to stderr as they come.
Exits with the application status of FCGI_END_REQUEST, or 2 when the
connection ends without one or a record is malformed (an aborted answer),
with one line on stderr.

As a module (tests/harness, net_helpers.py fcgi-keep) it gives the pieces:
connect(), send_request() and read_records(), for requests on a kept
connection (FCGI_KEEP_CONN) or read as events (first byte, a client that
leaves after N bytes).

cgi-fcgi itself is not the test client: it mis-parses a record header that
a read() splits (it copies the second part to &header + headerLen, counted
in headers, not bytes), which any record larger than its 8 KiB read buffer
makes likely.
"""

import os
import socket
import struct
import sys
import threading

BEGIN, END, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1
KEEP_CONN = 1
MAX_CONTENT = 65535


class ProtocolError(Exception):
    """The connection ended without FCGI_END_REQUEST, or a record was bad."""


def record(rtype, content, rid=1):
    """One record, padded to a multiple of 8 bytes as web servers do."""
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBx", 1, rtype, rid, len(content), pad) + content + b"\0" * pad


def _pair_len(n):
    return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)


def encode_params(params):
    """Name-value pairs of a dict (str or bytes keys and values)."""
    out = []
    for k, v in params.items():
        k, v = os.fsencode(k), os.fsencode(v)
        out.append(_pair_len(len(k)) + _pair_len(len(v)) + k + v)
    return b"".join(out)


def connect(addr, timeout=None):
    """A socket connected to HOST:PORT or to the unix socket at a path."""
    host, sep, port = addr.rpartition(":")
    if sep and port.isdigit() and not addr.startswith("/"):
        return socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(addr)
    return s


def send_request(sock, params, body=(), keep_conn=False, rid=1):
    """BEGIN_REQUEST, the params, then the body's chunks (an iterable of
    bytes) as FCGI_STDIN and the empty record ending it.  Returns False when
    the application closed before taking it all (it answered early, a 413),
    True otherwise."""
    flags = KEEP_CONN if keep_conn else 0
    p = encode_params(params)
    head = [record(BEGIN, struct.pack(">HB5x", RESPONDER, flags), rid)]
    for i in range(0, len(p), MAX_CONTENT):
        head.append(record(PARAMS, p[i:i + MAX_CONTENT], rid))
    head.append(record(PARAMS, b"", rid))
    try:
        sock.sendall(b"".join(head))
        for data in body:
            for i in range(0, len(data), MAX_CONTENT):
                sock.sendall(record(STDIN, data[i:i + MAX_CONTENT], rid))
        sock.sendall(record(STDIN, b"", rid))
    except OSError:
        return False
    return True


def read_records(sock, rid=1):
    """Yields (STDOUT, bytes) and (STDERR, bytes) as they arrive, then
    (END, application status).  Raises ProtocolError when the connection
    ends first or a record is not one of this request."""
    buf = b""
    while True:
        while len(buf) >= 8:
            ver, rtype, got_rid, clen, plen = struct.unpack(">BBHHBx", buf[:8])
            if ver != 1 or got_rid != rid:
                raise ProtocolError("bad record (version %d, id %d)" % (ver, got_rid))
            if len(buf) < 8 + clen + plen:
                break
            content = buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype in (STDOUT, STDERR):
                yield rtype, content
            elif rtype == END:
                yield END, struct.unpack(">I", content[:4])[0] & 0xFF
                return
        try:
            data = sock.recv(65536)
        except OSError as e:
            raise ProtocolError(str(e)) from e
        if not data:
            raise ProtocolError("connection closed before FCGI_END_REQUEST")
        buf += data


def _stdin_chunks():
    n = int(os.environ.get("CONTENT_LENGTH") or "0")
    while n > 0:
        data = sys.stdin.buffer.read1(MAX_CONTENT)
        if not data:
            return
        yield data


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: fcgi_client.py HOST:PORT|SOCKET\n")
        return 2
    s = connect(sys.argv[1])
    # The answer may start before the body is all sent (a 413): both at once.
    threading.Thread(target=send_request, args=(s, dict(os.environb), _stdin_chunks()),
                     daemon=True).start()
    out, err = sys.stdout.buffer, sys.stderr.buffer
    try:
        for rtype, content in read_records(s):
            if rtype == END:
                return content
            f = out if rtype == STDOUT else err
            f.write(content)
            f.flush()
    except ProtocolError as e:
        sys.stderr.write("fcgi_client: %s\n" % e)
    return 2


if __name__ == "__main__":
    sys.exit(main())
