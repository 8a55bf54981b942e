-- kick-job: job ARGV[2], if buried or delayed, becomes ready. KEYS = the tube's keys (see
-- common.lua), then the job's key; tube = the tube the node expects (else the reply is {'tube', 0,
-- now, <its tube>}). ARGV: jp, m, tube. Reply: {'ok', due, now, tube} or {'notfound', due, now}.
local jp, m = ARGV[1], ARGV[2]
local now = now_ms()
local tube, early = job_tube(jp, m, ARGV[3], now)
if not tube then return early end
local state = redis.call('HGET', jp .. m, 'state')
if state ~= 'buried' and state ~= 'delayed' then return {'notfound', next_due(tube), now} end
redis.call('ZREM', tk(tube, state), m)
redis.call('HINCRBY', jp .. m, 'kicks', 1)
to_ready(tube, jp, m)
wake(tube, 1)
return {'ok', next_due(tube), now, tube}
