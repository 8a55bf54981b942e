-- pause-tube: no reserve takes from tube ARGV[1] for ARGV[3] ms (0 = unpause now).
-- KEYS = the tube's keys (see common.lua). ARGV: tube, jp, delay_ms, must_exist ('1': answer
-- 'notfound' if the tube has no meta hash, i.e. holds no job and was never paused).
-- Reply: {'ok', due, now, fresh} or {'notfound', due, now}.
local tube, jp, delay = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = now_ms()
promote(tube, jp, now)
if ARGV[4] == '1' and redis.call('EXISTS', tk(tube, 'meta')) == 0 then
  return {'notfound', next_due(tube), now}
end
local fresh = touch_meta(tube, now)
redis.call('HINCRBY', tk(tube, 'meta'), 'cmd_pause_tube', 1)
if delay > 0 then
  redis.call('HSET', tk(tube, 'meta'), 'pause', delay, 'unpause_at', now + delay)
else
  redis.call('HSET', tk(tube, 'meta'), 'pause', 0, 'unpause_at', 0)
  wake(tube, 1)
end
return {'ok', next_due(tube), now, fresh}
