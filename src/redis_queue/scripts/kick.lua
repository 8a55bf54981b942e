-- kick: up to ARGV[3] jobs of tube ARGV[1]: buried ones (oldest first) if it has any, else
-- delayed ones (soonest first). KEYS = the tube's keys (see common.lua). ARGV: tube, jp, bound.
-- Reply: {'ok', due, now, kicked}.
local tube, jp, bound = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = now_ms()
promote(tube, jp, now)
local from = 'buried'
if redis.call('ZCARD', tk(tube, 'buried')) == 0 then from = 'delayed' end
local kicked = 0
if bound > 0 then
  local ms = redis.call('ZRANGE', tk(tube, from), 0, bound - 1)
  need_jobs(jp, ms)
  for _, m in ipairs(ms) do
    redis.call('ZREM', tk(tube, from), m)
    redis.call('HINCRBY', jp .. m, 'kicks', 1)
    to_ready(tube, jp, m)
    kicked = kicked + 1
  end
end
if kicked > 0 then wake(tube, kicked) end
return {'ok', next_due(tube), now, kicked}
