-- reserve: takes the head of one tube's ready set for ARGV[3] (the owner token
-- "<node>:<session>"). KEYS = the tube's keys (see common.lua).
-- ARGV: tube, jp, owner, expected, bound_pri.
-- expected = '' takes whatever is the head. Otherwise it is the padded seq the node picked
-- from the heads of all watched tubes, and bound_pri the priority of the best head among the
-- OTHER watched tubes ('' when they had none). The head is taken if it is the expected job,
-- or if that job is still ready (then the head is at least as good). If the expected job is
-- gone (another reserve won it), the new head is taken when its priority is no worse than
-- the bound: priority order stays exact, and among equal priorities this tube's next job is
-- taken rather than the oldest of all tubes (cross-tube FIFO is approximate anyway), so a
-- crowd of consumers watching the same tubes does not re-pick for every job one of them
-- wins. Otherwise the reply is 'beaten' and the node picks again.
-- Reply: {'ok', due, now, seq, body, deadline_ms, tube}, or {'empty'|'paused'|'beaten', due, now}.
local tube, jp, owner, expected = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local bound_pri = tonumber(ARGV[5] or '')
local now = now_ms()
promote(tube, jp, now)
if paused(tube, now) then return {'paused', next_due(tube), now} end
local head = redis.call('ZRANGE', tk(tube, 'ready'), 0, 0, 'WITHSCORES')
if #head == 0 then return {'empty', next_due(tube), now} end
local m = head[1]
need_job(jp .. m)
if expected ~= '' and m ~= expected and not redis.call('ZSCORE', tk(tube, 'ready'), expected) then
  if bound_pri and tonumber(head[2]) > bound_pri then
    return {'beaten', next_due(tube), now}
  end
end
redis.call('ZREM', tk(tube, 'ready'), m)
return hold(tube, jp, m, owner, now)
