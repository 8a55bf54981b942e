-- prune: forgets tube ARGV[1] (deletes its meta hash: counters and pause) if it holds no job, is
-- not paused and saw no put, delete or pause for ARGV[3] ms. The node then removes it from the
-- registry and checks again that the meta hash is still absent (a put in between recreates it: then
-- the node adds the tube back). KEYS = the tube's keys (see common.lua). ARGV: tube, jp, idle_ms.
-- Reply: {'pruned'|'kept', due, now}.
local tube, jp, idle = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = now_ms()
promote(tube, jp, now)
local meta = tk(tube, 'meta')
for _, s in ipairs({'ready', 'reserved', 'delayed', 'buried'}) do
  if redis.call('ZCARD', tk(tube, s)) > 0 then return {'kept', next_due(tube), now} end
end
if paused(tube, now) or now - num(redis.call('HGET', meta, 'active')) < idle then
  return {'kept', next_due(tube), now}
end
redis.call('DEL', meta)
return {'pruned', 0, now}
