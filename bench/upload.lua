-- wrk script of bench/upload.py: multipart photo uploads, each one a different photo.
--
-- wrk -s bench/upload.lua URL -- KIND OFFSET PLAN_FILE THREADS
--   KIND     "upload" (the real endpoint, as page.js posts), "floor" (the floor view: bare +
--            decode + photo and audit rows in one transaction) or "bare" (the bare view)
--   OFFSET   number of the first request (each request number is used once per run)
--   PLAN     file written by bench/upload.py (photo path, CSRF cookie and token, sessions,
--            the upload slots, the bare and floor views' candidates)
--
-- Request number k goes to candidate k % #candidates (so that the connections never wait for
-- each other on one candidate's row lock) and into the slot floor(k / #candidates) of that
-- candidate's upload plan. The photo gets a JPEG comment with k: same pixels, same decode,
-- another SHA-256 (the duplicate check would refuse the same bytes twice).

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function read_plan(path)
  local plan = { sessions = {}, slots = {} }
  for line in io.lines(path) do
    local key, a, b = line:match("^(%S+) (%S+) ?(%S*)$")
    if key == "photo" then
      local f = assert(io.open(a, "rb"))
      plan.photo = f:read("*a")
      f:close()
    elseif key == "csrf" then
      plan.csrf_cookie, plan.csrf_token = a, b
    elseif key == "session" then
      table.insert(plan.sessions, { candidate = a, key = b })
    elseif key == "bare" then
      plan.bare_candidate = a
    elseif key == "floor" then
      plan.floor_candidate = a
    elseif key == "slot" then
      table.insert(plan.slots, a)
    end
  end
  return plan
end

function init(args)
  kind = args[1]
  offset = tonumber(args[2])
  plan = read_plan(args[3])
  nthreads = tonumber(args[4])
  counter = 0
  boundary = "----yishenbench" .. tid
  host = wrk.headers["Host"] or (wrk.host .. ":" .. wrk.port)
end

local function photo_for(k)
  local text = "bench " .. k
  local n = #text + 2
  local comment = "\255\254" .. string.char(math.floor(n / 256), n % 256) .. text
  return plan.photo:sub(1, 2) .. comment .. plan.photo:sub(3)
end

local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name
    .. "\"\r\n\r\n" .. value .. "\r\n"
end

function request()
  local k = offset + tid + nthreads * counter
  counter = counter + 1
  local session = plan.sessions[(k % #plan.sessions) + 1]
  local slot = math.floor(k / #plan.sessions)
  local category = plan.slots[(slot % #plan.slots) + 1]
  local headers = {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["X-Forwarded-Proto"] = "https",
    ["X-Real-IP"] = "10.1." .. (k % 250) .. ".7",
  }
  local fields, path
  if kind == "upload" then
    path = "/materials/category/" .. category .. "/upload/"
    headers["Cookie"] = "sessionid=" .. session.key .. "; csrftoken=" .. plan.csrf_cookie
    headers["X-CSRFToken"] = plan.csrf_token
    headers["X-Yishen-Fragment"] = "1"
    headers["Origin"] = "https://" .. host
    fields = part("csrfmiddlewaretoken", plan.csrf_token)
  else
    -- One candidate of its own each: these rows must not fill the real candidates' places.
    path = "/bench/" .. kind .. "-upload/"
    local candidate = kind == "floor" and plan.floor_candidate or plan.bare_candidate
    fields = part("candidate", candidate) .. part("category", category)
  end
  local body = fields .. "--" .. boundary
    .. "\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"IMG_" .. k .. ".jpg\""
    .. "\r\nContent-Type: image/jpeg\r\n\r\n" .. photo_for(k) .. "\r\n--" .. boundary .. "--\r\n"
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local last = 0
  for _, thread in ipairs(threads) do
    local c = thread:get("counter")
    local t = thread:get("tid")
    local top = thread:get("offset") + t + thread:get("nthreads") * c
    if top > last then
      last = top
    end
  end
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d "
      .. "status_errors=%d socket_errors=%d next_offset=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout, last
  ))
end
