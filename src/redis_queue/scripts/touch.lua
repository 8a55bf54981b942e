-- touch: job ARGV[2] reserved by ARGV[4] gets a fresh TTR. KEYS = the tube's keys (see common.lua),
-- then the job's key; tube = the tube the node expects (else the reply is {'tube', 0, now, <its
-- tube>}). ARGV: jp, m, tube, owner. Reply: {'ok', due, now, tube, deadline_ms} or {'notfound',
-- due, now}.
local jp, m, owner = ARGV[1], ARGV[2], ARGV[4]
local now = now_ms()
local tube, early = job_tube(jp, m, ARGV[3], now)
if not tube then return early end
if not held_by(jp, m, owner) then return {'notfound', next_due(tube), now} end
local deadline = now + num(redis.call('HGET', jp .. m, 'ttr'))
redis.call('HSET', jp .. m, 'deadline', deadline)
redis.call('ZADD', tk(tube, 'reserved'), 'XX', deadline, m)
return {'ok', next_due(tube), now, tube, deadline}
