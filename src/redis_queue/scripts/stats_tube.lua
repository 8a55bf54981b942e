-- stats-tube: the counts of tube ARGV[1]. KEYS = the tube's keys (see common.lua). ARGV: tube, jp.
-- Reply: {'ok', due, now, exists, urgent, ready, reserved, delayed, buried, total_jobs,
--         cmd_delete, cmd_pause_tube, pause_ms, unpause_at_ms, timeouts}.
local tube, jp = ARGV[1], ARGV[2]
local now = now_ms()
promote(tube, jp, now)
local meta = tk(tube, 'meta')
local f = redis.call('HMGET', meta, 'total_jobs', 'cmd_delete', 'cmd_pause_tube', 'pause',
                     'unpause_at', 'timeouts')
return {'ok', next_due(tube), now, redis.call('EXISTS', meta),
        redis.call('ZCOUNT', tk(tube, 'ready'), '-inf', 1023),
        redis.call('ZCARD', tk(tube, 'ready')), redis.call('ZCARD', tk(tube, 'reserved')),
        redis.call('ZCARD', tk(tube, 'delayed')), redis.call('ZCARD', tk(tube, 'buried')),
        num(f[1]), num(f[2]), num(f[3]), num(f[4]), num(f[5]), num(f[6])}
