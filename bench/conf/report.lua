-- bench/conf/report.lua: wrk prints one machine-readable line at the end.
-- RESULT requests duration_us bytes p50_us p99_us connect read write status timeout
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\n",
		summary.requests, summary.duration, summary.bytes,
		latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
