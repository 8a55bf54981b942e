-- reserve-job: job ARGV[2] (padded seq) in any state but reserved, for owner ARGV[4].
-- KEYS = the tube's keys (see common.lua), then the job's key. ARGV: jp, m, tube, owner.
-- Reply: as reserve, or {'notfound', 0, now}.
local jp, m, owner = ARGV[1], ARGV[2], ARGV[4]
local now = now_ms()
local tube, early = job_tube(jp, m, ARGV[3], now)
if not tube then return early end
local state = redis.call('HGET', jp .. m, 'state')
if state == 'reserved' then return {'notfound', next_due(tube), now} end
redis.call('ZREM', tk(tube, state), m)
return hold(tube, jp, m, owner, now)
