-- stats-job: every field of job ARGV[2]. KEYS = the tube's keys (see common.lua), then the job's
-- key; tube = the tube the node expects (else the reply is {'tube', 0, now, <its tube>}). ARGV: jp,
-- m, tube. Reply: {'ok', due, now, field, value, ...} (HGETALL without the body) or {'notfound', 0,
-- now}.
local jp, m = ARGV[1], ARGV[2]
local now = now_ms()
local tube, early = job_tube(jp, m, ARGV[3], now)
if not tube then return early end
local out = {'ok', next_due(tube), now}
local fields = redis.call('HGETALL', jp .. m)
for i = 1, #fields, 2 do
  if fields[i] ~= 'body' then
    out[#out + 1] = fields[i]
    out[#out + 1] = fields[i + 1]
  end
end
return out
