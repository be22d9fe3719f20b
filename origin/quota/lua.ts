/**
 * The limiter's decisions as Redis scripts: each decision and each settlement is one round trip.
 * Rates use GCRA (one "theoretical arrival time" per limit, burst = one minute's allowance), so
 * remaining, reset and Retry-After are exact and need no per-request entries. Every key of one
 * tenant carries the `{tenant}` hash tag, so a script's keys share one Cluster slot.
 *
 * The same algorithm, in JavaScript, is memory-store.ts; the two must stay in step.
 */

/**
 * Decisions for one tenant and day; those a replica asks for in one turn of its event loop come as
 * one script, decided in their order.
 * KEYS: 1 requests tat, 2 tokens tat, 3 day tokens, 4 leases (zset lease → expiry)
 * ARGV: 1 window ms, then the tenant's limits, the same for every decision of one script: 2 rpm,
 *       3 tpm, 4 daily budget, 5 concurrent limit, 6 lease ttl ms; then one group of 3 per
 *       decision: now ms, estimate, lease id ('' = none). The lease expires at now + ttl, the
 *       day's tokens a day after the next UTC midnight.
 * → per decision: allowed { reqRemaining, reqResetMs, tokRemaining, tokResetMs }, refused
 *   { reason, reqRemaining, reqResetMs, tokRemaining, tokResetMs, retryAfterMs }
 */
export const ADMIT_LUA = `
local window = tonumber(ARGV[1])
local rpm, tpm, daily, conc = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local leaseTtl = tonumber(ARGV[6])

local function admit(now, est, lease)
  local leaseExp = now + leaseTtl
  local toNextDay = 86400000 - now % 86400000
  local reason = ''
  local retry = 0

  local rqTat, rqNew, rqInt = now, now, 0
  if rpm > 0 then
    rqInt = window / rpm
    rqTat = tonumber(redis.call('GET', KEYS[1]) or '0')
    if rqTat < now then rqTat = now end
    rqNew = rqTat + rqInt
    if rqNew - now > window then reason = 'requests'; retry = rqNew - now - window end
  end

  local tkTat, tkNew, tkInt = now, now, 0
  if tpm > 0 then
    tkInt = window / tpm
    local cost = est
    if cost > tpm then cost = tpm end
    tkTat = tonumber(redis.call('GET', KEYS[2]) or '0')
    if tkTat < now then tkTat = now end
    tkNew = tkTat + cost * tkInt
    if tkNew - now > window then
      if reason == '' then reason = 'tokens' end
      if tkNew - now - window > retry then retry = tkNew - now - window end
    end
  end

  if reason == '' and daily > 0 then
    local used = tonumber(redis.call('GET', KEYS[3]) or '0')
    if used >= daily then reason = 'daily_tokens'; retry = toNextDay end
  end

  if reason == '' and lease ~= '' and conc > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
    if redis.call('ZCARD', KEYS[4]) >= conc then reason = 'concurrency'; retry = 1000 end
  end

  if reason ~= '' then
    return { reason,
      rpm > 0 and math.floor((window - (rqTat - now)) / rqInt) or -1, math.ceil(rqTat - now),
      tpm > 0 and math.floor((window - (tkTat - now)) / tkInt) or -1, math.ceil(tkTat - now),
      math.ceil(retry) }
  end

  if rpm > 0 then redis.call('SET', KEYS[1], tostring(rqNew), 'PX', math.ceil(rqNew - now) + 1) end
  if tpm > 0 and tkNew > now then redis.call('SET', KEYS[2], tostring(tkNew), 'PX', math.ceil(tkNew - now) + 1) end
  if est > 0 then
    redis.call('INCRBY', KEYS[3], est)
    redis.call('PEXPIRE', KEYS[3], toNextDay + 86400000)
  end
  if lease ~= '' then
    redis.call('ZADD', KEYS[4], leaseExp, lease)
    redis.call('PEXPIRE', KEYS[4], math.ceil(leaseExp - now) * 2)
  end
  return {
    rpm > 0 and math.floor((window - (rqNew - now)) / rqInt) or -1, math.ceil(rqNew - now),
    tpm > 0 and math.floor((window - (tkNew - now)) / tkInt) or -1, math.ceil(tkNew - now) }
end

local out = {}
for i = 7, #ARGV, 3 do
  out[#out + 1] = admit(tonumber(ARGV[i]), tonumber(ARGV[i + 1]), ARGV[i + 2])
end
return out
`;

/**
 * Settlements of one tenant and day; those a replica makes in one turn of its event loop (streams
 * that end together) come as one script.
 * KEYS: 1 tokens tat, 2 day tokens, 3 leases, 4 usage hash of the tenant's day
 * ARGV: 1 usage ttl s, 2 window ms, 3 the tenant's tpm (the same for every settlement of one
 *       script), then one group of 8 per settlement: now ms, token delta, lease id ('' = none),
 *       model, prompt, completion, error 0/1, day delta
 */
export const SETTLE_LUA = `
local ttl = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local tpm = tonumber(ARGV[3])

local function settle(now, delta, lease, m, p, c, err, dayDelta)
  if tpm > 0 and delta ~= 0 then
    local int = window / tpm
    local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
    if delta > 0 then
      if tat < now then tat = now end
      tat = tat + delta * int
    else
      tat = tat + delta * int
    end
    if tat > now then redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil(tat - now) + 1)
    else redis.call('DEL', KEYS[1]) end
  end
  if dayDelta ~= 0 then
    local left = redis.call('INCRBY', KEYS[2], dayDelta)
    if left < 0 then redis.call('SET', KEYS[2], 0, 'KEEPTTL') end
    if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], 2 * 86400000) end
  end
  if lease ~= '' then redis.call('ZREM', KEYS[3], lease) end
  redis.call('HINCRBY', KEYS[4], m .. '|r', 1)
  if p > 0 then redis.call('HINCRBY', KEYS[4], m .. '|p', p) end
  if c > 0 then redis.call('HINCRBY', KEYS[4], m .. '|c', c) end
  if err == '1' then redis.call('HINCRBY', KEYS[4], m .. '|e', 1) end
end

for i = 4, #ARGV, 8 do
  settle(tonumber(ARGV[i]), tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3],
    tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]), ARGV[i + 6], tonumber(ARGV[i + 7]))
end
redis.call('EXPIRE', KEYS[4], ttl)
return 1
`;
