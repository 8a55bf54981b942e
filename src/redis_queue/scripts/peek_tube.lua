-- peek-ready / peek-delayed / peek-buried: the first job of one set of tube ARGV[1].
-- KEYS = the tube's keys (see common.lua). ARGV: tube, jp, 'ready'|'delayed'|'buried'.
-- Reply: {'ok', due, now, seq, body} or {'notfound', due, now}.
local tube, jp, which = ARGV[1], ARGV[2], ARGV[3]
local now = now_ms()
promote(tube, jp, now)
local head = redis.call('ZRANGE', tk(tube, which), 0, 0)
if #head == 0 then return {'notfound', next_due(tube), now} end
need_job(jp .. head[1])
return {'ok', next_due(tube), now, tonumber(head[1]), redis.call('HGET', jp .. head[1], 'body')}
