-- bury: job ARGV[2] reserved by ARGV[4] goes to the end of its tube's buried FIFO with priority
-- ARGV[5]. KEYS = the tube's keys (see common.lua), then the job's key; tube = the tube the node
-- expects (else the reply is {'tube', 0, now, <its tube>}). ARGV: jp, m, tube, owner, pri. Reply:
-- {'ok'|'notfound', due, now, tube}.
local jp, m, owner = ARGV[1], ARGV[2], ARGV[4]
local now = now_ms()
local tube, early = job_tube(jp, m, ARGV[3], now)
if not tube then return early end
if not held_by(jp, m, owner) then return {'notfound', next_due(tube), now, tube} end
redis.call('ZREM', tk(tube, 'reserved'), m)
redis.call('HINCRBY', jp .. m, 'buries', 1)
redis.call('HSET', jp .. m, 'pri', ARGV[5], 'state', 'buried', 'owner', '', 'deadline', 0)
local order = redis.call('HINCRBY', tk(tube, 'meta'), 'bury_seq', 1)
redis.call('ZADD', tk(tube, 'buried'), order, m)
return {'ok', next_due(tube), now, tube}
