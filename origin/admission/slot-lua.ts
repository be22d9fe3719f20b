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
 * Every key of one gate carries the same `{hash tag}`, so each script touches one Cluster slot.
 * Grants are published on the holder replica's channel; replicas also poll, so a lost message
 * costs one poll interval, never a slot.
 *
 * KEYS (all scripts): 1 leases (id → expiry), 2 waiter liveness (id → expiry), 3 interactive
 * queue (id → tag), 4 batch queue, 5 interactive tenant tags (tenant → last tag), 6 batch tenant
 * tags, 7 meta hash (streak, gvI, gvB, held: slots the leases occupy), 8 weights (id → slots,
 * for requests that occupy more than one: an embedding batch).
 * ARGV 1..6 (all scripts): now ms, lease ttl ms, slots, batch cap, interactive weight, channel prefix.
 */
const DISPATCH = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local slots = tonumber(ARGV[3])
local capB = tonumber(ARGV[4])
local weight = tonumber(ARGV[5])
local chan = ARGV[6]
local KEEP = 86400000

local function touch()
  for i = 1, 8 do redis.call('PEXPIRE', KEYS[i], KEEP) end
end

-- Slots a request occupies (an embedding batch: one per input); absent means 1.
local function weightOf(id)
  return tonumber(redis.call('HGET', KEYS[8], id) or '1')
end

local function held()
  return tonumber(redis.call('HGET', KEYS[7], 'held') or '0')
end

-- A lease ends (released, given up, lapsed): its slots come back.
local function drop(id)
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('HINCRBY', KEYS[7], 'held', -weightOf(id))
  end
  redis.call('HDEL', KEYS[8], id)
end

-- The first live waiter of a queue; waiters whose replica stopped renewing them are dropped.
local function head(q, gv)
  while true do
    local top = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
    if #top == 0 then return nil end
    local id = top[1]
    local alive = tonumber(redis.call('ZSCORE', KEYS[2], id) or '0')
    if alive > now then return { id = id, tag = top[2], w = weightOf(id), q = q, gv = gv } end
    redis.call('ZREM', q, id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[8], id)
    redis.call('HSET', KEYS[7], gv, top[2])
  end
end

local function dispatch()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do drop(id) end
  while true do
    local h = held()
    if h >= slots then return end
    local hI = head(KEYS[3], 'gvI')
    local hB = head(KEYS[4], 'gvB')
    local batchMay = hB ~= nil and h + hB.w <= capB
    local streak = tonumber(redis.call('HGET', KEYS[7], 'streak') or '0')
    local pick
    if hI ~= nil and not (batchMay and streak >= weight) then
      -- The head waits for room rather than be overtaken by smaller requests behind it.
      if h + hI.w > slots then return end
      pick = hI; streak = streak + 1
    elseif batchMay then
      pick = hB; streak = 0
    else
      return
    end
    redis.call('ZREM', pick.q, pick.id)
    redis.call('ZREM', KEYS[2], pick.id)
    redis.call('HSET', KEYS[7], pick.gv, pick.tag, 'streak', streak)
    redis.call('ZADD', KEYS[1], now + ttl, pick.id)
    redis.call('HINCRBY', KEYS[7], 'held', pick.w)
    redis.call('PUBLISH', chan .. string.match(pick.id, '^[^:]+'), pick.id)
  end
end
`;

/**
 * Idempotent per id (a replica may send it again when an answer timed out).
 * ARGV 7 id, 8 tenant, 9 class ('i' | 'b'), 10 max queue, 11 slots it occupies.
 * → { 1 granted | 0 queued | -1 queue full, slots held, waiting }
 */
export const SLOT_ACQUIRE_LUA = `${DISPATCH}
local id = ARGV[7]
local tenant = ARGV[8]
local cls = ARGV[9]
local maxQueue = tonumber(ARGV[10])
local w = tonumber(ARGV[11])
dispatch()
local h = held()
local nI = redis.call('ZCARD', KEYS[3])
local nB = redis.call('ZCARD', KEYS[4])
-- Sent again after a timed-out answer: report where it already stands, never queue it twice.
if redis.call('ZSCORE', KEYS[1], id) then return { 1, h, nI + nB } end
if redis.call('ZSCORE', KEYS[3], id) or redis.call('ZSCORE', KEYS[4], id) then
  redis.call('ZADD', KEYS[2], now + ttl, id)
  return { 0, h, nI + nB }
end
local ahead = nI
local cap = slots
if cls == 'b' then ahead = nI + nB; cap = capB end
if w > 1 then redis.call('HSET', KEYS[8], id, w) end
if ahead == 0 and h + w <= cap then
  redis.call('ZADD', KEYS[1], now + ttl, id)
  redis.call('HINCRBY', KEYS[7], 'held', w)
  touch()
  return { 1, h + w, nI + nB }
end
if nI + nB >= maxQueue then
  redis.call('HDEL', KEYS[8], id)
  return { -1, h, nI + nB }
end
local q, tags, gvf = KEYS[3], KEYS[5], 'gvI'
if cls == 'b' then q, tags, gvf = KEYS[4], KEYS[6], 'gvB' end
-- An empty class starts its virtual time over, so the tag table never outgrows the queue.
if redis.call('ZCARD', q) == 0 then
  redis.call('DEL', tags)
  redis.call('HSET', KEYS[7], gvf, 0)
end
local gv = tonumber(redis.call('HGET', KEYS[7], gvf) or '0')
local last = tonumber(redis.call('HGET', tags, tenant) or '0')
local tag = math.max(gv, last) + 1
redis.call('HSET', tags, tenant, tag)
redis.call('ZADD', q, tag, id)
redis.call('ZADD', KEYS[2], now + ttl, id)
touch()
return { 0, h, nI + nB + 1 }
`;

/**
 * A waiter or a holder leaves (slot released, wait limit, client gone): whatever `id` holds is
 * given back and the next waiters are granted. ARGV 7 id. → 1 if it was still queued, else 0.
 */
export const SLOT_LEAVE_LUA = `${DISPATCH}
local id = ARGV[7]
local queued = redis.call('ZREM', KEYS[3], id) + redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[2], id)
drop(id)
dispatch()
return queued
`;

/**
 * Periodic pass of a replica with waiters: reaps lapsed leases, grants, keeps this replica's
 * waiters alive, and says where each stands. ARGV 7.. waiter ids.
 * → per id: 1 granted (holds a lease), 0 still queued, 2 unknown (Redis lost it: re-enqueue).
 */
export const SLOT_SWEEP_LUA = `${DISPATCH}
dispatch()
local out = {}
for i = 7, #ARGV do
  local id = ARGV[i]
  if redis.call('ZSCORE', KEYS[1], id) then
    out[#out + 1] = 1
  elseif redis.call('ZADD', KEYS[2], 'XX', 'CH', now + ttl, id) == 1 or redis.call('ZSCORE', KEYS[2], id) then
    out[#out + 1] = 0
  else
    out[#out + 1] = 2
  end
end
return out
`;

/**
 * Renews (or, after a Redis restart, re-asserts) the leases of slots this replica holds: those
 * requests run on the engine whatever Redis remembers. ARGV 7.. pairs of lease id, slots.
 */
export const SLOT_RENEW_LUA = `${DISPATCH}
for i = 7, #ARGV, 2 do
  local id, w = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('ZADD', KEYS[1], now + ttl, id) == 1 then
    redis.call('HINCRBY', KEYS[7], 'held', w)
    if w > 1 then redis.call('HSET', KEYS[8], id, w) end
  end
end
touch()
return 1
`;
