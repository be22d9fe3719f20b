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
 * tags, 7 meta hash (streak, gvI, gvB).
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
  for i = 1, 7 do redis.call('PEXPIRE', KEYS[i], KEEP) end
end

local function dispatch()
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  while true do
    local held = redis.call('ZCARD', KEYS[1])
    if held >= slots then return end
    local nI = redis.call('ZCARD', KEYS[3])
    local nB = redis.call('ZCARD', KEYS[4])
    local batchMay = nB > 0 and held < capB
    local streak = tonumber(redis.call('HGET', KEYS[7], 'streak') or '0')
    local q, gv
    if nI > 0 and not (batchMay and streak >= weight) then
      q = KEYS[3]; gv = 'gvI'; streak = streak + 1
    elseif batchMay then
      q = KEYS[4]; gv = 'gvB'; streak = 0
    else
      return
    end
    local top = redis.call('ZPOPMIN', q)
    local id = top[1]
    redis.call('HSET', KEYS[7], gv, top[2])
    local alive = tonumber(redis.call('ZSCORE', KEYS[2], id) or '0')
    redis.call('ZREM', KEYS[2], id)
    -- A waiter whose replica stopped renewing it is dropped, not granted.
    if alive > now then
      redis.call('HSET', KEYS[7], 'streak', streak)
      redis.call('ZADD', KEYS[1], now + ttl, id)
      redis.call('PUBLISH', chan .. string.match(id, '^[^:]+'), id)
    end
  end
end
`;

/**
 * Idempotent per id (a replica may send it again when an answer timed out).
 * ARGV 7 id, 8 tenant, 9 class ('i' | 'b'), 10 max queue.
 * → { 1 granted | 0 queued | -1 queue full, slots held, waiting }
 */
export const SLOT_ACQUIRE_LUA = `${DISPATCH}
local id = ARGV[7]
local tenant = ARGV[8]
local cls = ARGV[9]
local maxQueue = tonumber(ARGV[10])
dispatch()
local held = redis.call('ZCARD', KEYS[1])
local nI = redis.call('ZCARD', KEYS[3])
local nB = redis.call('ZCARD', KEYS[4])
-- Sent again after a timed-out answer: report where it already stands, never queue it twice.
if redis.call('ZSCORE', KEYS[1], id) then return { 1, held, nI + nB } end
if redis.call('ZSCORE', KEYS[3], id) or redis.call('ZSCORE', KEYS[4], id) then
  redis.call('ZADD', KEYS[2], now + ttl, id)
  return { 0, held, nI + nB }
end
local ahead = nI
local cap = slots
if cls == 'b' then ahead = nI + nB; cap = capB end
if ahead == 0 and held < cap then
  redis.call('ZADD', KEYS[1], now + ttl, id)
  touch()
  return { 1, held + 1, nI + nB }
end
if nI + nB >= maxQueue then return { -1, held, nI + nB } end
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
return { 0, held, nI + nB + 1 }
`;

/**
 * A waiter or a holder leaves (slot released, wait limit, client gone): whatever `id` holds is
 * given back and the next waiters are granted. ARGV 7 id. → 1 if it was still queued, else 0.
 */
export const SLOT_LEAVE_LUA = `${DISPATCH}
local id = ARGV[7]
local queued = redis.call('ZREM', KEYS[3], id) + redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[2], id)
redis.call('ZREM', KEYS[1], id)
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
 * streams run on the engine whatever Redis remembers. ARGV 7.. lease ids.
 */
export const SLOT_RENEW_LUA = `${DISPATCH}
for i = 7, #ARGV do redis.call('ZADD', KEYS[1], now + ttl, ARGV[i]) end
touch()
return #ARGV - 6
`;
