#!/bin/bash
# tests/e2e/client_faults.sh: clients that go away or read slowly, through a
# real front server (issue 5).
#
# nginx with the files of deploy/nginx/ (only the @PLACEHOLDERS@ filled in),
# mount /thanos, passes requests to thanos-fcgi --listen unix:SOCKET, whose
# upstream is tests/mock/thanos_mock.py --mode fault (route prefix /thanos).  The
# upstream logs, with a time stamp, when a write to the adapter fails: that
# is when the adapter let go of the transfer.
#
# --threads 18: deploy/nginx keeps up to 2 x 8 idle FastCGI connections and
# each holds a thread (deploy/two-replicas-mtls/thanos-fcgi.conf), plus two
# for the slow clients' neighbours.
#
#   A client that disconnects in the middle of a large answer (one that
#   reads 4 MiB of a streamed 500 MiB and closes, curl --max-time 1 at
#   1 MiB/s on it, curl --max-time 1 on a slow drip): the upstream's write
#   fails within a second of the client's close, and the adapter serves the
#   next request.  The 500 MiB go chunked: with a Content-Length nginx
#   would spool them to its temp file at full speed, and whether it has
#   read them all before the client leaves would be a race.
#   Slow clients (10 KiB/s on 64 MiB answers) do not hold up the others,
#   and hold no thread: the answers have a Content-Length, so the adapter
#   leaves nginx's buffering on and the upstream has sent them whole while
#   the clients still read.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/e2e/nginx_start.sh"

# Set-up (common.sh); one request never waits longer than lib.sh's guard
# (its ucurl).
start_fault_upstream /thanos
start_socket_adapter --threads 18 --upstream "$UP" --web.route-prefix /thanos
nginx_front_up ngx "unix:$SOCK" || finish
F="http://127.0.0.1:$PORT_ngx"

# now: the time, in seconds with a fraction.
now() { date +%s.%N; }

# after LABEL: the same adapter process serves the next request at once
# (common.sh's adapter_still_serving).
after() { adapter_still_serving "$1" "$F/thanos/ok"; }

# stopped_within LABEL MARK T_CLOSE: the upstream logged the failed write of
# a "big" answer after line MARK of its log at once after T_CLOSE (the
# client's close): within lib.sh's bound for "at once" (check_within 0).
stopped_within() {
	local label=$1 mark=$2 tclose=$3 i line=""
	for ((i = 0; i < $(guard 0) * 20; i++)); do
		line=$(tail -n +"$((mark + 1))" "$TMPD/up.log" | grep -E 'big: (write-failed|sent all)' | tail -n 1)
		[ -n "$line" ] && break
		sleep 0.05
	done
	local out
	out=$(python3 - "$tclose" "$line" <<'EOF'
import re, sys
tclose, line = float(sys.argv[1]), sys.argv[2]
m = re.match(r"fault: ([0-9.]+) conn \d+ big: write-failed after (\d+) body bytes", line)
if not m:
    print("none (no failed write logged: '%s')" % line)
else:
    # < 0: the write failed before the client's close was stamped (the
    # stamp is taken once the client process has ended): at once too.
    dt = max(0.0, float(m.group(1)) - tclose)
    print("%d (%d bytes sent)" % (round(dt * 1000), int(m.group(2))))
EOF
)
	check_within "$label: the upstream's write fails at once after the client's close (ms; ${out#* })" 0 "${out%% *}"
	check "$label: no answer left in progress at the upstream" "" "$(upstream_busy)"
}

[ "$(fetch ok0 "$F/thanos/ok")" = 200 ] || fail "set-up: a normal request through nginx"

# ---- the client goes away in the middle of the answer ------------------------------
echo "# the client disconnects in the middle of a large streamed answer"

# (1) reads 4 MiB of a 500 MiB answer as fast as it can, then closes.
mark=$(wc -l <"$TMPD/up.log")
r=$(python3 - "$PORT_ngx" "$(guard)" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=float(sys.argv[2]))
s.sendall(b"GET /thanos/big?mb=500&chunked=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
got = 0
head = b""
while got < 4 * 1024 * 1024:
    d = s.recv(65536)
    if not d:
        break
    got += len(d)
    head = head or d[:12]
s.close()
print("%.3f %d %s" % (time.time(), got, head[9:12].decode("latin-1")))
EOF
)
set -- $r
check "reads 4 MiB of 500 MiB, closes: got a 200 and 4 MiB" "200 yes" "${3:-} $([ "${2:-0}" -ge 4194304 ] && echo yes || echo "no (${2:-0})")"
stopped_within "reads 4 MiB of 500 MiB, closes" "$mark" "${1:-0}"
after "reads 4 MiB of 500 MiB, closes"

# (2) curl --max-time 1 at 1 MiB/s on 500 MiB.
mark=$(wc -l <"$TMPD/up.log")
ucurl -o /dev/null --limit-rate 1M --max-time 1 "$F/thanos/big?mb=500&chunked=1"
rc=$?
t=$(now)
check "curl --max-time 1 --limit-rate 1M on 500 MiB: gave up (exit 28)" 28 "$rc"
stopped_within "curl --max-time 1 --limit-rate 1M on 500 MiB" "$mark" "$t"
after "curl --max-time 1 --limit-rate 1M on 500 MiB"

# (3) curl --max-time 1 on a slow drip: 1000 bytes every 50 ms.
mark=$(wc -l <"$TMPD/up.log")
ucurl -o "$TMPD/drip.b" --max-time 1 "$F/thanos/big?mb=1&chunk=1000&delay_ms=50"
rc=$?
t=$(now)
check "curl --max-time 1 on a slow drip: gave up (exit 28) with part of it" "28 yes" \
	"$rc $([ "$(wc -c <"$TMPD/drip.b")" -gt 0 ] && echo yes || echo no)"
stopped_within "curl --max-time 1 on a slow drip" "$mark" "$t"
after "curl --max-time 1 on a slow drip"

# ---- slow clients --------------------------------------------------------------------
echo "# slow clients do not hold up the others"
sent0=$(log_count "$TMPD/up.log" 'big: sent all' 0)
for i in 1 2; do
	# curl itself, not the ucurl function: $! must be curl's pid
	# they read until killed: --max-time is only the guard
	curl -s --noproxy '*' -o "$TMPD/slow$i.b" --limit-rate 10k --max-time "$(guard)" "$F/thanos/big?mb=64" &
	eval "SLOW$i=\$!"
	track "$(eval echo \$SLOW$i)"
done
# the event: both are reading (their first bytes have come)
for i in 1 2; do
	for ((w = 0; w < $(guard) * 20; w++)); do [ -s "$TMPD/slow$i.b" ] && break; sleep 0.05; done
	[ -s "$TMPD/slow$i.b" ] || fail "slow client $i got no byte"
done
worst=0 n=0
for i in $(seq 1 20); do
	# a held-up request gives up at the bound of "at once" (guard 0)
	w=$(ucurl -o "$TMPD/fast.b" -w '%{http_code} %{time_total}' --max-time "$(guard 0)" "$F/thanos/echo?i=$i")
	[ "${w%% *}" = 200 ] && n=$((n + 1))
	worst=$(python3 -c "print(max($worst, round(${w#* } * 1000)))")
done
check "20 requests while 2 clients read 64 MiB at 10 KiB/s: all answered" 20 "$n"
check_within "20 requests while 2 clients read slowly: each at once (the slowest, ms)" 0 "$worst"
par=$(python3 - "$F" "$(guard)" <<'EOF'
import sys, threading, time, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
res = []
def one(i):
    t0 = time.monotonic()
    try:
        with opener.open("%s/thanos/slow?ms=500&i=%d" % (sys.argv[1], i), timeout=float(sys.argv[2])) as r:
            r.read()
            res.append((r.status, time.monotonic() - t0))
    except Exception as e:
        res.append((str(e), time.monotonic() - t0))
ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
t0 = time.monotonic()
[t.start() for t in ts]
[t.join() for t in ts]
print("%d %d" % (sum(1 for s, _ in res if s == 200), round((time.monotonic() - t0) * 1000)))
EOF
)
check "8 requests of 0.5 s at once while 2 clients read slowly: all answered" 8 "${par%% *}"
check_duration "8 requests of 0.5 s at once while 2 clients read slowly: in parallel (ms)" 500 "${par#* }" 4000
alive=0
for i in 1 2; do kill -0 "$(eval echo \$SLOW$i)" 2>/dev/null && alive=$((alive + 1)); done
check "the 2 slow clients were still reading all along" 2 "$alive"
check "the 2 slow clients' 64 MiB answers left the upstream whole while they still read (nginx buffers them)" \
	$((sent0 + 2)) "$(log_count "$TMPD/up.log" 'big: sent all' $((sent0 + 2)))"
for i in 1 2; do kill "$(eval echo \$SLOW$i)" 2>/dev/null; done
for i in 1 2; do wait "$(eval echo \$SLOW$i)" 2>/dev/null; done
check "slow clients killed: no answer left in progress at the upstream" "" "$(upstream_busy)"
after "slow clients"

check "the adapter: the same process all along" alive "$(adapter_state)"
finish
