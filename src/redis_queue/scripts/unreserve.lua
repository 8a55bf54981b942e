-- unreserve: job ARGV[2] reserved by ARGV[4] goes back to ready with no counter changed (the
-- holder's connection closed). KEYS = the tube's keys (see common.lua), then the job's key; tube =
-- the tube the node expects (else the reply is {'tube', 0, now, <its tube>}). ARGV: jp, m, tube,
-- owner. Reply: {'ok', due, now, tube} or {'notfound', due, now}.
local jp, m, owner = ARGV[1], ARGV[2], ARGV[4]
local now = now_ms()
local tube, early = job_tube(jp, m, ARGV[3], now)
if not tube then return early end
if not held_by(jp, m, owner) then return {'notfound', next_due(tube), now} end
redis.call('ZREM', tk(tube, 'reserved'), m)
to_ready(tube, jp, m)
wake(tube, 1)
return {'ok', next_due(tube), now, tube}
