-- delete: job ARGV[2] if it is ready, delayed, buried, or reserved by ARGV[4]. KEYS = the tube's
-- keys (see common.lua), then the job's key; tube = the tube the node expects (else the reply is
-- {'tube', 0, now, <its tube>}). ARGV: jp, m, tube, owner. Reply: {'ok'|'notfound', due, now,
-- tube}.
local jp, m, owner = ARGV[1], ARGV[2], ARGV[4]
local now = now_ms()
local tube, early = job_tube(jp, m, ARGV[3], now)
if not tube then return early end
local f = redis.call('HMGET', jp .. m, 'state', 'owner')
if f[1] == 'reserved' and f[2] ~= owner then return {'notfound', next_due(tube), now, tube} end
redis.call('ZREM', tk(tube, f[1]), m)
redis.call('DEL', jp .. m)
redis.call('HINCRBY', tk(tube, 'meta'), 'cmd_delete', 1)
redis.call('HSET', tk(tube, 'meta'), 'active', now)
return {'ok', next_due(tube), now, tube}
