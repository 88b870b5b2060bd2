-- tests/harness/soak.lua: wrk's script of the soak (test_soak.py): args[1] is
-- the directory of the upstream's four bodies, v0.bin .. v3.bin.
-- Cycles over the four bodies; response() compares each body it gets with
-- the upstream's copy named by the body's first line ("variant K size N").
local threads = {}
function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	expected = {}
	for k = 0, 3 do
		local f = assert(io.open(args[1] .. "/v" .. k .. ".bin", "rb"))
		local b = f:read("*a")
		f:close()
		expected[b:match("^[^\n]*")] = b
	end
	n, ok, s5xx, other, mismatch, bytes = 0, 0, 0, 0, 0, 0
	first_bad = ""
end

function request()
	n = n + 1
	return wrk.format("GET", "/thanos/fixed?v=" .. (n % 4))
end

function response(status, headers, body)
	if status >= 500 then
		s5xx = s5xx + 1
	elseif status ~= 200 then
		other = other + 1
	end
	local want = expected[body:match("^[^\n]*") or ""]
	if want ~= nil and #want == #body and want == body then
		ok = ok + 1
	else
		mismatch = mismatch + 1
		if first_bad == "" then
			first_bad = status .. " " .. #body .. " " .. body:sub(1, 60):gsub("[^%w %-_=]", ".")
		end
	end
	bytes = bytes + #body
end

function done(summary, latency, requests)
	local t = {ok = 0, s5xx = 0, other = 0, mismatch = 0, bytes = 0}
	local bad = ""
	for _, th in ipairs(threads) do
		for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end
		if bad == "" then bad = th:get("first_bad") end
	end
	local e = summary.errors
	io.write(string.format(
		"SOAK requests=%d ok=%d s5xx=%d other=%d mismatch=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
		summary.requests, t.ok, t.s5xx, t.other, t.mismatch, t.bytes, e.connect, e.read,
		e.write, e.status, e.timeout, latency:percentile(50) / 1000,
		latency:percentile(99) / 1000, latency.max / 1000))
	if bad ~= "" then io.write("SOAK first_bad=" .. bad .. "\n") end
end
