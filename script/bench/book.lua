-- wrk script: each request books with the next body of $BODIES; the thread stops before they
-- run out, so every timed request is a real booking of a free slot.
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local sent = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  sent = sent + 1
  return wrk.format(nil, "/api/v1/bookings", nil, bodies[math.min(sent, #bodies)])
end
response = function(status, headers, body)
  if sent >= #bodies - 150 then wrk.thread:stop() end
end
