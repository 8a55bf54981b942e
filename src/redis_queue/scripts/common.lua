-- common.lua: helpers prepended to every script of src/redis_queue/scripts at build time
-- (see docs/redis_schema.md). Every script touches the keys of one tube, whose slot is the
-- slot of its hash tag {<tube>}, and the job hashes "stalk:{<g>}:j:<seq>" of that slot
-- (<g> = a short tag of the same slot, passed in as the job prefix `jp`).
-- KEYS declares every key a script knows before it runs: the tube's ready, delayed,
-- reserved, buried and meta keys (in that order), plus the job's key when the command names
-- a job, and the slot's seq key for put. During a slot migration Redis then answers ASK or
-- TRYAGAIN itself unless all of them are on the node. The job hashes a script discovers (an
-- id read from a set) are checked with need_job() before any write.
-- Times are milliseconds of this shard's clock (TIME). Every script replies
-- {status, next_due_ms, now_ms, ...}: next_due_ms is the tube's next timed event (the
-- soonest delayed job, TTR deadline or unpause; 0 = none), so the node can arm its timer.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The shard's clock in microseconds (below 2^53, exact in a Lua number): a job's `born`,
-- the age that breaks ties between tubes of equal priority.
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

-- A key of tube `tube`: ready, delayed, reserved, buried (ZSETs), meta (hash), wake (channel).
local function tk(tube, what)
  return 'stalk:{' .. tube .. '}:' .. what
end

local function num(v)
  return tonumber(v) or 0
end

local function head_score(key)
  local h = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #h == 0 then return 0 end
  return tonumber(h[2])
end

local function next_due(tube)
  local best = 0
  local cands = {head_score(tk(tube, 'delayed')), head_score(tk(tube, 'reserved')),
                 num(redis.call('HGET', tk(tube, 'meta'), 'unpause_at'))}
  for _, v in ipairs(cands) do
    if v > 0 and (best == 0 or v < best) then best = v end
  end
  return best
end

local function paused(tube, now)
  return num(redis.call('HGET', tk(tube, 'meta'), 'unpause_at')) > now
end

-- Tells the nodes' waiting reserves that the tube may have ready jobs (a hint: they re-check).
local function wake(tube, n)
  redis.call('SPUBLISH', tk(tube, 'wake'), n)
end

-- Job `m` (already out of every set) becomes ready.
local function to_ready(tube, jp, m)
  local pri = redis.call('HGET', jp .. m, 'pri')
  redis.call('HSET', jp .. m, 'state', 'ready', 'owner', '', 'deadline', 0)
  redis.call('ZADD', tk(tube, 'ready'), pri, m)
end

-- The set a job in `state` sits in.
local function set_of(tube, state)
  return tk(tube, state)
end

-- Job hash `k`, read from one of the tube's sets, must be on this node. During a slot
-- migration a job's hash may have moved already (source) or not arrived yet (target) while
-- every declared key is here: the script then stops with TRYAGAIN, which the cluster client
-- retries after a backoff. Call it before the script's first write. In a stable slot every
-- member of a tube's sets has its hash, so this never fires.
local function need_job(k)
  -- pcall: on a migrating source, touching a key that is gone is an error, not nil.
  local r = redis.pcall('EXISTS', k)
  if type(r) ~= 'number' or r == 0 then
    error({err = 'TRYAGAIN job ' .. k .. ' is not on this node (slot migrating)'})
  end
end

local function need_jobs(jp, ms)
  for _, m in ipairs(ms) do need_job(jp .. m) end
end

-- Moves what is due at `now`: delayed jobs to ready, expired reservations to ready
-- (a timeout), an elapsed pause off. Idempotent: any node may call it at any time.
-- Bounded per call; the rest goes on the next call (next_due is then already past).
local PROMOTE_LIMIT = 1000
local function promote(tube, jp, now)
  local woke = 0
  local due = redis.call('ZRANGEBYSCORE', tk(tube, 'delayed'), '-inf', now, 'LIMIT', 0,
                         PROMOTE_LIMIT)
  local expired = redis.call('ZRANGEBYSCORE', tk(tube, 'reserved'), '-inf', now, 'LIMIT', 0,
                             PROMOTE_LIMIT)
  need_jobs(jp, due)  -- before the first write
  need_jobs(jp, expired)
  for _, m in ipairs(due) do
    redis.call('ZREM', tk(tube, 'delayed'), m)
    to_ready(tube, jp, m)
    woke = woke + 1
  end
  for _, m in ipairs(expired) do
    redis.call('ZREM', tk(tube, 'reserved'), m)
    redis.call('HINCRBY', jp .. m, 'timeouts', 1)
    to_ready(tube, jp, m)
    redis.call('HINCRBY', tk(tube, 'meta'), 'timeouts', 1)
    woke = woke + 1
  end
  local unpause_at = num(redis.call('HGET', tk(tube, 'meta'), 'unpause_at'))
  if unpause_at > 0 and unpause_at <= now then
    redis.call('HSET', tk(tube, 'meta'), 'unpause_at', 0, 'pause', 0)
    woke = woke + 1
  end
  if woke > 0 then wake(tube, woke) end
end

-- Marks the tube as used now (for pruning) and creates its meta hash; returns 1 if the meta
-- hash is new, i.e. the node must (re-)add the tube to the registry.
local function touch_meta(tube, now)
  local fresh = redis.call('HSETNX', tk(tube, 'meta'), 'created', now)
  redis.call('HSET', tk(tube, 'meta'), 'active', now)
  return fresh
end

-- The tube of job `m`, which the node expects to be `tube` (KEYS holds that tube's keys),
-- after promoting it. Returns nil and the reply to give when there is no such job
-- ('notfound') or the job is in another tube ({'tube', 0, now, <its tube>}: the node asks
-- again with that tube's keys; nothing was changed).
local function job_tube(jp, m, tube, now)
  local t = redis.call('HGET', jp .. m, 'tube')
  if not t then return nil, {'notfound', 0, now} end
  if t ~= tube then return nil, {'tube', 0, now, t} end
  promote(tube, jp, now)
  return tube
end

-- Takes job `m` (out of every set) for `owner`; returns the reply tail.
local function hold(tube, jp, m, owner, now)
  local ttr = num(redis.call('HGET', jp .. m, 'ttr'))
  local deadline = now + ttr
  redis.call('HSET', jp .. m, 'state', 'reserved', 'owner', owner, 'deadline', deadline)
  redis.call('HINCRBY', jp .. m, 'reserves', 1)
  redis.call('ZADD', tk(tube, 'reserved'), deadline, m)
  return {'ok', next_due(tube), now, tonumber(m), redis.call('HGET', jp .. m, 'body'),
          deadline, tube}
end

-- True if `owner` holds job `m` (after promote: an expired reservation is no longer held).
local function held_by(jp, m, owner)
  local f = redis.call('HMGET', jp .. m, 'state', 'owner')
  return f[1] == 'reserved' and f[2] == owner
end

-- ---------------------------------------------------------------------------------------
