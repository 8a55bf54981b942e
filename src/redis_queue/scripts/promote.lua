-- promote: the timer's script: moves what is due in tube ARGV[1] (see promote()).
-- KEYS = the tube's keys (see common.lua). ARGV: tube, jp. Reply: {'ok', due, now}.
local tube, jp = ARGV[1], ARGV[2]
local now = now_ms()
promote(tube, jp, now)
return {'ok', next_due(tube), now}
