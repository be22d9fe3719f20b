/**
 * Engine slots shared by every origin replica, as Redis scripts: one queue per upstream model
 * (or model group) that lives in Redis, so priority classes and tenant fairness hold across
 * replicas as if there were one origin. A slot is a lease (zset member → expiry) renewed by the
 * replica that holds it, the same lease shape as concurrent-stream quotas: a replica that dies
 * stops renewing and its slots lapse after the lease TTL.
 *
 * Fairness between tenants is start-time fair queueing: a waiter's tag is
 * max(class virtual time, tenant's last tag) + 1, and the lowest tag goes first. A tenant with a
 * hundred waiting requests holds tags n+1..n+100; another tenant's first request gets n+1, so it
 * waits at most one slot turn behind the flood, whichever replica each came through. Priority
 * classes follow the local gate (gate.ts): interactive first, one batch dispatch after
 * `weight` interactive ones in a row, batch never holds more than `capBatch` slots.
 *
 * A capped tenant (admission.tenantShare) holds at most its cap of the slots: a waiter whose
 * tenant holds its cap is passed over, keeping its tag (and so its turn) for when one of its own
 * slots comes back. What each tenant holds is counted where the slots are: a lease adds its
 * charge when it is granted or re-asserted and takes it back when it ends, however it ends
 * (released, given up, lapsed), so the count cannot outlive the leases.
 *
 * Batch work yields to interactive work (admission.preemptBatch): a batch lease whose holder can
 * stop it is stoppable. While interactive waiters outnumber the free slots and the slots already
 * on their way to them (meta `owed`), the most recently granted stoppable lease is marked as
 * stopping (out of the stoppable set, its slots owed to the interactive waiters) and its holder
 * replica is told to stop it; its release then frees the slot, and the slots owed go to
 * interactive waiters before any batch turn. A lost stop message costs nothing but the wait:
 * the lease simply ends when its request does (or lapses), as any other.
 *
 * Leases and waiters lapse by Redis's clock (TIME), not the replicas': a script runs at the time
 * it runs, whenever it was sent. Scripts held up by a pause of writes (a Cluster failover: the old
 * master pauses them until its replica has taken over, and they all run after it) so grant no
 * lease that is already past its end by the time of the scripts sent after them, and a replica's
 * clock running ahead shortens no other replica's leases. A stretch in which no script of the gate
 * ran for longer than a renewal interval (a third of the TTL: a replica with a waiter polls every
 * half second at most, one with a lease renews it every third of the TTL) is one in which none
 * could run (paused writes, Redis away): the first script after it gives every lease and waiter
 * that time back beyond the interval, since no replica could renew them meanwhile (meta `at`: when
 * the last script ran). A dead replica's leases still lapse within the TTL while scripts run.
 *
 * Every key of one gate carries the same `{hash tag}`, so each script touches one Cluster slot.
 * Grants (the id) and stops ('stop ' .. id) are published on the holder replica's channel;
 * replicas also poll for grants, so a lost grant message costs one poll interval, never a slot.
 *
 * KEYS (all scripts): one, the gate's leases key `<base>leases`. The script derives the others
 * from it (`<base><name>`, SLOT_KEY_NAMES): eleven key names built and sent by the replica on every
 * script were about a third of what ioredis spent on each script, while Redis builds them in microseconds.
 * They share the base and so its hash tag (one Cluster slot, which Redis checks for keys a script
 * did not declare too), and are named as before, so replicas of the previous release, which pass
 * all eleven, share them during a rolling upgrade. Below, K[i] is the i-th of SLOT_KEY_NAMES:
 * 1 leases (id → expiry), 2 waiter liveness (id → expiry), 3 interactive
 * queue (id → tag), 4 batch queue, 5 interactive tenant tags (tenant → last tag), 6 batch tenant
 * tags, 7 meta hash (streak, gvI, gvB, held: slots the leases occupy, owed: slots of stopped
 * leases owed to interactive waiters, grants: the stoppable leases' counter, at: Redis's time
 * when the last script ran), 8 weights (id → slots, for requests that occupy more than one: an
 * embedding batch), 9 owners (id → '<charge> <cap> <tenant>', for requests of capped tenants),
 * 10 tenant holdings (tenant → slots charged),
 * 11 stoppable (id → grant order of a batch lease its holder may stop; 0 while it still waits).
 * ARGV 1..5 (all scripts): lease ttl ms, slots, batch cap, interactive weight, channel prefix.
 */
export const SLOT_KEY_NAMES = ['leases', 'waiters', 'queue:i', 'queue:b', 'tags:i', 'tags:b', 'meta', 'weights', 'owners', 'tenants', 'stoppable'] as const;

const DISPATCH = `
local base = string.sub(KEYS[1], 1, -${SLOT_KEY_NAMES[0].length + 1})
local K = {}
for i, name in ipairs({ ${SLOT_KEY_NAMES.map((n) => `'${n}'`).join(', ')} }) do K[i] = base .. name end
local ttl = tonumber(ARGV[1])
local slots = tonumber(ARGV[2])
local capB = tonumber(ARGV[3])
local weight = tonumber(ARGV[4])
local chan = ARGV[5]
local KEEP = 86400000

-- Redis's time, ms. Time past a renewal interval since the last script of the gate is time in
-- which none could run (paused writes): it is given back to every lease and waiter.
local function clock()
  local t = redis.call('TIME')
  local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local lost = ms - tonumber(redis.call('HGET', K[7], 'at') or ms) - math.floor(ttl / 3)
  if lost > 0 then
    for k = 1, 2 do
      local page = redis.call('ZRANGE', K[k], 0, -1, 'WITHSCORES')
      for i = 1, #page, 2 do redis.call('ZADD', K[k], tonumber(page[i + 1]) + lost, page[i]) end
    end
  end
  redis.call('HSET', K[7], 'at', ms)
  redis.call('PEXPIRE', K[7], KEEP)
  return ms
end
local now = clock()

local function touch()
  for i = 1, 11 do redis.call('PEXPIRE', K[i], KEEP) end
end

-- Slots a request occupies (an embedding batch: one per input); absent means 1.
local function weightOf(id)
  return tonumber(redis.call('HGET', K[8], id) or '1')
end

local function held()
  return tonumber(redis.call('HGET', K[7], 'held') or '0')
end

-- The capped tenant a request counts against, and how much: nil when its tenant is not capped.
local function ownerOf(id)
  local v = redis.call('HGET', K[9], id)
  if not v then return nil end
  local c, cap, t = string.match(v, '^(%d+) (%d+) (.*)$')
  return { c = tonumber(c), cap = tonumber(cap), t = t }
end

-- Whether the request's tenant may take its charge without passing its cap.
local function room(o)
  return o == nil or tonumber(redis.call('HGET', K[10], o.t) or '0') + o.c <= o.cap
end

-- A lease of a capped tenant begins (sign 1) or ends (sign -1).
local function charge(o, sign)
  if o == nil then return end
  if redis.call('HINCRBY', K[10], o.t, sign * o.c) <= 0 then redis.call('HDEL', K[10], o.t) end
end

-- Virtual time only moves forward (a passed-over waiter granted later has a lower tag).
local function advance(gv, tag)
  if tonumber(tag) > tonumber(redis.call('HGET', K[7], gv) or '0') then redis.call('HSET', K[7], gv, tag) end
end

-- A request is gone (lease ended, waiter dead, refused): what is kept about it beside its lease or place.
local function forget(id)
  redis.call('HDEL', K[8], id)
  redis.call('HDEL', K[9], id)
  redis.call('ZREM', K[11], id)
end

-- A lease ends (released, given up, lapsed): its slots come back, to the engine and to its tenant.
local function drop(id)
  if redis.call('ZREM', K[1], id) == 1 then
    redis.call('HINCRBY', K[7], 'held', -weightOf(id))
    charge(ownerOf(id), -1)
  end
  forget(id)
end

-- The first live waiter of a queue whose tenant is under its cap (the others keep their place);
-- waiters whose replica stopped renewing them are dropped on the way.
local function head(q, gv)
  local from = 0
  while true do
    local page = redis.call('ZRANGE', q, from, from + 63, 'WITHSCORES')
    if #page == 0 then return nil end
    local kept = 0
    for i = 1, #page, 2 do
      local id, tag = page[i], page[i + 1]
      local alive = tonumber(redis.call('ZSCORE', K[2], id) or '0')
      if alive > now then
        local o = ownerOf(id)
        if room(o) then return { id = id, tag = tag, w = weightOf(id), o = o, q = q, gv = gv } end
        kept = kept + 1
      else
        redis.call('ZREM', q, id)
        redis.call('ZREM', K[2], id)
        forget(id)
        advance(gv, tag)
      end
    end
    from = from + kept
  end
end

local function owed()
  return tonumber(redis.call('HGET', K[7], 'owed') or '0')
end

-- A lease its holder may stop, stoppable from now on. Ranked by a counter, not by the replicas'
-- clocks, so the most recently granted is the most recent whichever replica's clock runs ahead.
local function stoppable(id)
  redis.call('ZADD', K[11], redis.call('HINCRBY', K[7], 'grants', 1), id)
end

local function granted(id)
  if redis.call('ZSCORE', K[11], id) then stoppable(id) end
end

-- Slots the interactive waiters that may run (alive, their tenant under its cap) want, counted
-- up to most: a waiter kept out by its own tenant's cap is no reason to stop a batch lease.
local function wanting(most)
  local n, from = 0, 0
  while n < most do
    local page = redis.call('ZRANGE', K[3], from, from + 63)
    if #page == 0 then break end
    for _, id in ipairs(page) do
      if tonumber(redis.call('ZSCORE', K[2], id) or '0') > now and room(ownerOf(id)) then n = n + weightOf(id) end
    end
    from = from + 64
  end
  return n
end

-- Stops the most recently granted stoppable batch leases until the interactive waiters' slots
-- are free or on their way: never more slots stopped than interactive waiters want.
local function preempt()
  local leases = redis.call('ZCARD', K[11])
  if leases == 0 or redis.call('ZCARD', K[3]) == 0 then return end
  -- Past the slots (leases re-asserted after an outage) is no free slot, not fewer than none.
  local ready = math.max(0, slots - held()) + owed()
  local short = wanting(ready + leases) - ready
  while short > 0 do
    local top = redis.call('ZREVRANGEBYSCORE', K[11], '+inf', '(0', 'LIMIT', 0, 1)
    if #top == 0 then return end
    local id = top[1]
    redis.call('ZREM', K[11], id)
    if redis.call('ZSCORE', K[1], id) then
      local w = weightOf(id)
      redis.call('HINCRBY', K[7], 'owed', w)
      short = short - w
      redis.call('PUBLISH', chan .. string.match(id, '^[^:]+'), 'stop ' .. id)
    end
  end
end

local function grantFree()
  while true do
    local h = held()
    if h >= slots then return end
    local hI = head(K[3], 'gvI')
    local hB = head(K[4], 'gvB')
    local batchMay = hB ~= nil and h + hB.w <= capB
    local streak = tonumber(redis.call('HGET', K[7], 'streak') or '0')
    local due = owed()
    -- Slots freed by stopping batch leases go to the interactive waiters they were stopped for.
    if hI == nil and due > 0 then
      redis.call('HDEL', K[7], 'owed')
      due = 0
    end
    local pick
    if hI ~= nil and not (batchMay and streak >= weight and due == 0) then
      -- The head waits for room rather than be overtaken by smaller requests behind it.
      if h + hI.w > slots then return end
      pick = hI; streak = streak + 1
      if due > 0 then redis.call('HSET', K[7], 'owed', math.max(0, due - hI.w)) end
    elseif batchMay then
      pick = hB; streak = 0
    else
      return
    end
    redis.call('ZREM', pick.q, pick.id)
    redis.call('ZREM', K[2], pick.id)
    redis.call('HSET', K[7], 'streak', streak)
    advance(pick.gv, pick.tag)
    redis.call('ZADD', K[1], now + ttl, pick.id)
    redis.call('HINCRBY', K[7], 'held', pick.w)
    charge(pick.o, 1)
    granted(pick.id)
    redis.call('PUBLISH', chan .. string.match(pick.id, '^[^:]+'), pick.id)
  end
end

local function dispatch()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K[1], '-inf', now)) do drop(id) end
  -- Owed to nobody once no interactive request waits (the one it was stopped for gave up).
  if redis.call('ZCARD', K[3]) == 0 then redis.call('HDEL', K[7], 'owed') end
  grantFree()
  preempt()
end
`;

/**
 * Requests join (each idempotent per id: a replica may send it again when an answer timed out);
 * those that arrive in one turn of a replica's event loop come as one script.
 * ARGV 6: max queue. ARGV 7..: runs of requests alike, in the requests' order, each run: tenant,
 * class ('i' | 'b'), slots each occupies, owner ('<charge> <cap> <tenant>' of a capped tenant, ''
 * otherwise), '1' when its holders may stop them for interactive work (batch requests with
 * admission.preemptBatch), '' otherwise, the count of its requests, then their ids. (Requests of one
 * turn are mostly alike: what they share goes once per run, not once per request.)
 * → per request, in their order: { 1 granted | 0 queued | -1 queue full, slots held, waiting,
 * 1 if queued because its tenant holds its share (else 0), id } (the id: the replica takes no
 * other script's answer for a grant)
 */
export const SLOT_ACQUIRE_LUA = `${DISPATCH}
local function acquire(id, tenant, cls, maxQueue, w, owner, mayStop)
  dispatch()
  local h = held()
  -- Sent again after a timed-out answer: report where it already stands, never queue it twice.
  if redis.call('ZSCORE', K[1], id) then return { 1, h, redis.call('ZCARD', K[3]) + redis.call('ZCARD', K[4]), 0, id } end
  if redis.call('ZSCORE', K[3], id) or redis.call('ZSCORE', K[4], id) then
    redis.call('ZADD', K[2], now + ttl, id)
    local back = 0
    if not room(ownerOf(id)) then back = 1 end
    return { 0, h, redis.call('ZCARD', K[3]) + redis.call('ZCARD', K[4]), back, id }
  end
  -- Ahead of it: a waiter of this class or above that may run (capped tenants' waiters do not count).
  local ahead = head(K[3], 'gvI') ~= nil
  local cap = slots
  if cls == 'b' then ahead = ahead or head(K[4], 'gvB') ~= nil; cap = capB end
  local nI = redis.call('ZCARD', K[3])
  local nB = redis.call('ZCARD', K[4])
  if w > 1 then redis.call('HSET', K[8], id, w) end
  local o = nil
  if owner ~= '' then
    redis.call('HSET', K[9], id, owner)
    o = ownerOf(id)
  end
  if mayStop then redis.call('ZADD', K[11], 0, id) end
  if not ahead and h + w <= cap and room(o) then
    redis.call('ZADD', K[1], now + ttl, id)
    redis.call('HINCRBY', K[7], 'held', w)
    charge(o, 1)
    granted(id)
    touch()
    return { 1, h + w, nI + nB, 0, id }
  end
  if nI + nB >= maxQueue then
    forget(id)
    return { -1, h, nI + nB, 0, id }
  end
  local q, tags, gvf = K[3], K[5], 'gvI'
  if cls == 'b' then q, tags, gvf = K[4], K[6], 'gvB' end
  -- An empty class starts its virtual time over, so the tag table never outgrows the queue.
  if redis.call('ZCARD', q) == 0 then
    redis.call('DEL', tags)
    redis.call('HSET', K[7], gvf, 0)
  end
  local gv = tonumber(redis.call('HGET', K[7], gvf) or '0')
  local last = tonumber(redis.call('HGET', tags, tenant) or '0')
  local tag = math.max(gv, last) + 1
  redis.call('HSET', tags, tenant, tag)
  redis.call('ZADD', q, tag, id)
  redis.call('ZADD', K[2], now + ttl, id)
  -- An interactive waiter that finds every slot taken stops a batch lease for its slot.
  if cls == 'i' then preempt() end
  touch()
  local back = 0
  if not room(o) then back = 1 end
  return { 0, h, nI + nB + 1, back, id }
end

local maxQueue = tonumber(ARGV[6])
local out = {}
local i = 7
while i <= #ARGV do
  local tenant, cls, w, owner = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local mayStop = ARGV[i + 4] == '1' and cls == 'b'
  local last = i + 5 + tonumber(ARGV[i + 5])
  for j = i + 6, last do out[#out + 1] = acquire(ARGV[j], tenant, cls, maxQueue, w, owner, mayStop) end
  i = last + 1
end
return out
`;

/**
 * Waiters or holders leave (slots released, wait limit, client gone): whatever each id holds is
 * given back and the next waiters are granted. ARGV 6.. ids. → how many of them were still queued.
 */
export const SLOT_LEAVE_LUA = `${DISPATCH}
local queued = 0
for i = 6, #ARGV do
  local id = ARGV[i]
  queued = queued + redis.call('ZREM', K[3], id) + redis.call('ZREM', K[4], id)
  redis.call('ZREM', K[2], id)
  drop(id)
end
dispatch()
return queued
`;

/**
 * Periodic pass of a replica with waiters: reaps lapsed leases, grants, keeps this replica's
 * waiters alive, and says where each stands. ARGV 6.. waiter ids.
 * → per id: 1 granted (holds a lease), 0 still queued, 3 still queued because its tenant holds its
 * share, 2 unknown (Redis lost it: re-enqueue); then the first id again (as the acquire's answer).
 */
export const SLOT_SWEEP_LUA = `${DISPATCH}
dispatch()
local out = {}
for i = 6, #ARGV do
  local id = ARGV[i]
  if redis.call('ZSCORE', K[1], id) then
    out[#out + 1] = 1
  elseif redis.call('ZADD', K[2], 'XX', 'CH', now + ttl, id) == 1 or redis.call('ZSCORE', K[2], id) then
    if room(ownerOf(id)) then out[#out + 1] = 0 else out[#out + 1] = 3 end
  else
    out[#out + 1] = 2
  end
end
out[#out + 1] = ARGV[6]
return out
`;

/**
 * Renews (or, after a Redis restart, re-asserts) the leases of slots this replica holds: those
 * requests run on the engine whatever Redis remembers, and count against their tenants again.
 * ARGV 6.. quadruples of lease id, slots, owner ('' for a tenant that is not capped), '1' when its
 * holder may still stop it ('' otherwise).
 */
export const SLOT_RENEW_LUA = `${DISPATCH}
for i = 6, #ARGV, 4 do
  local id, w, owner = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  if redis.call('ZADD', K[1], now + ttl, id) == 1 then
    redis.call('HINCRBY', K[7], 'held', w)
    if ARGV[i + 3] == '1' then stoppable(id) end
    if w > 1 then redis.call('HSET', K[8], id, w) end
    if owner ~= '' then
      redis.call('HSET', K[9], id, owner)
      charge(ownerOf(id), 1)
    end
  end
end
touch()
return 1
`;
