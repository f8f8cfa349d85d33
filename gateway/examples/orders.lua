-- Durable order charges for wrk, every order a fresh id (so every one is committed before it
-- is answered): the load example serves a gateway with lines to charge and writes the token
-- and the traders' tags to a file, this script reads it (LOAD_FILE, default /tmp/load.serve).
--
--   target/release/examples/load --db sqlite:/tmp/load.db --certificates 0 \
--       --serve /tmp/load.serve > /tmp/load.out &
--   LOAD_FILE=/tmp/load.serve wrk -t2 -c16 -d30s --latency \
--       -s gateway/examples/orders.lua http://127.0.0.1:PORT
--
-- (gateway/README.md, "Load", has the whole sequence.)
--
-- Each wrk thread runs its own copy of this script; an order's id is the run's start time,
-- the thread's number and a counter, unique across threads and runs. Answers other than 200
-- with "accepted":true are counted and printed at the end (a run with any is not a figure).

local file = os.getenv("LOAD_FILE") or "/tmp/load.serve"
local token = nil
local tags = {}
for line in io.lines(file) do
  if token == nil then
    token = line
  else
    tags[#tags + 1] = line
  end
end

local threads = {}
local started = os.time()

function setup(thread)
  thread:set("prefix", string.format("wrk-%d-%d", started, #threads + 1))
  threads[#threads + 1] = thread
end

counter = 0
refused = 0

function request()
  counter = counter + 1
  local tag = tags[(counter % #tags) + 1]
  local body = string.format(
    '{"id": "%s-%d", "tag": "%s", "order": {"kind": "perp", "underlying": "BTC", "size": "0.01"}}',
    prefix, counter, tag)
  return wrk.format("POST", "/v1/orders", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"accepted":true', 1, true) then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("refused")
  end
  io.write(string.format("orders not accepted: %d\n", total))
end
