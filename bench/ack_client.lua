-- bench_ack's load generator inside wrk: one connection per wrk thread, each thread sending its share of the
-- requests that bench_ack signed beforehand (requests.tsv: "signature<TAB>form body" per line, in plan order)
-- and writing one line per answer to out-<thread>.tsv: index, HTTP status, microseconds, start of the body.
-- Times come from CLOCK_MONOTONIC through LuaJIT's ffi: taken just before the request is handed to wrk and
-- when its response is complete, so they hold no Python at all.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } roombot_timespec;
int clock_gettime(int clock_id, roombot_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now_spec = ffi.new("roombot_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_spec)
  return tonumber(now_spec.tv_sec) * 1000000 + tonumber(now_spec.tv_nsec) / 1000
end

local workdir = os.getenv("ACK_WRK_DIR")
local stamp = os.getenv("ACK_WRK_TIMESTAMP")
local threads_total = tonumber(os.getenv("ACK_WRK_THREADS"))

local next_thread = 0
function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

local planned, mine, cursor, sent_at, current, out

function init(args)
  planned = {}
  for line in io.lines(workdir .. "/requests.tsv") do
    local signature, body = line:match("^([^\t]*)\t(.*)$")
    planned[#planned + 1] = { signature = signature, body = body }
  end
  mine = {}
  for index = thread_index + 1, #planned, threads_total do
    mine[#mine + 1] = index
  end
  cursor = 0
  out = io.open(workdir .. "/out-" .. thread_index .. ".tsv", "w")
end

-- wrk calls request() once more than it sends, on thread 0, to check the script (script_verify_request), so
-- request() only builds the next request and response() moves the cursor on.
function request()
  current = mine[cursor + 1]
  if current == nil then  -- this thread's share is sent: ask for something harmless until wrk is stopped
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  local item = planned[current]
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Slack-Request-Timestamp"] = stamp,
    ["X-Slack-Signature"] = item.signature,
  }
  sent_at = now_us()
  return wrk.format("POST", nil, headers, item.body)
end

function response(status, headers, body)
  local took = now_us() - sent_at
  if current ~= nil then
    cursor = cursor + 1
    local text = (body or ""):sub(1, 300):gsub("[\t\r\n]", " ")
    out:write(string.format("%d\t%d\t%.0f\t%s\n", current - 1, status, took, text))
    out:flush()
  end
  if cursor >= #mine then
    wrk.thread:stop()
  end
end
