-- wrk script for benchmarks/rest-bench.sh: one kind of threat request per run, rotating over ids.
-- Usage: wrk ... -s rest-threats.lua URL -- MODE TOKEN MODEL_ID IDS_FILE
--   MODE get   GET    /threat_models/M/threats/{id}   (ids rotate)
--   MODE patch PATCH  /threat_models/M/threats/{id}   JSON Patch replacing /name (ids rotate)
--   MODE post  POST   /threat_models/{m}/threats      a new threat each request; here IDS_FILE
--              lists models to rotate over (a model holds at most 10,000 threats)
local mode, token, model, ids = "get", "", "", {}
local counter = 0

function init(args)
  mode, token, model = args[1], args[2], args[3]
  for line in io.lines(args[4]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  wrk.headers["Authorization"] = "Bearer " .. token
end

local post_body = '{"name":"bench","severity":"High","priority":"P1","mitigated":false,' ..
  '"status":"open","threat_type":"Tampering"}'

-- wrk.format replaces wrk.headers (Host, Authorization) when given a table: copy them in.
local function with_type(content_type)
  local h = { ["Content-Type"] = content_type }
  for k, v in pairs(wrk.headers) do h[k] = v end
  return h
end

function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  if mode == "post" then
    return wrk.format("POST", "/threat_models/" .. id .. "/threats", with_type("application/json"), post_body)
  end
  local base = "/threat_models/" .. model .. "/threats"
  if mode == "patch" then
    local body = '[{"op":"replace","path":"/name","value":"renamed ' .. counter .. '"}]'
    return wrk.format("PATCH", base .. "/" .. id, with_type("application/json-patch+json"), body)
  end
  return wrk.format("GET", base .. "/" .. id)
end

-- wrk counts answers >= 400 in summary.errors.status: print it so a run of errors shows.
function done(summary, latency, requests)
  local errs = summary.errors.status
  io.write(string.format("errors: status %d\n", errs))
end
