-- head: the best ready job of one tube, for the cross-tube pick of reserve. Read-mostly
-- (it promotes first). KEYS = the tube's keys (see common.lua). ARGV: tube, jp.
-- Reply: {'ok', due, now, seq, pri, born_us}, {'empty', due, now} or {'paused', due, now}.
local tube, jp = ARGV[1], ARGV[2]
local now = now_ms()
promote(tube, jp, now)
if paused(tube, now) then return {'paused', next_due(tube), now} end
local head = redis.call('ZRANGE', tk(tube, 'ready'), 0, 0, 'WITHSCORES')
if #head == 0 then return {'empty', next_due(tube), now} end
need_job(jp .. head[1])
local born = redis.call('HGET', jp .. head[1], 'born')
return {'ok', next_due(tube), now, tonumber(head[1]), tonumber(head[2]), num(born)}
