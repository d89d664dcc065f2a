--[[
acquire.lua: choose the least-used healthy key of a pool for one quota bucket that is under its
per-second rate, charge the call's cost to it and count the call in the key's rate window, in one
atomic step (one round trip a call), so two replicas never both spend a key's last units nor both
take a key's last call of a second.

KEYS[1]  state hash       <prefix>:hydra:state
KEYS[2]  usage hash       <prefix>:hydra:used:<pacific day>
KEYS[3]  rate hash        <prefix>:hydra:rps: `<fp>:w` (the Redis second of the key's window), `<fp>:n`
                          (calls in it): a fixed one-second window per key, shared by every replica
ARGV[1]  now              Hydra clock, ms since epoch (exhaustion times are on this clock)
ARGV[2]  bucket           'search' | 'units'
ARGV[3]  cost             units this call charges
ARGV[4]  quota            daily quota of one key for this bucket
ARGV[5]  resetAt          next Pacific midnight, Hydra clock ms
ARGV[6]  ttlMs            lifetime of KEYS[2] from now (the day's rest plus a day)
ARGV[7]  lowThreshold     quota.low is raised once a day when the pool's remainder falls to this
ARGV[8]  pool             pool name (for the pool-level flags)
ARGV[9]  preferred        fingerprint to keep if still usable (a retry on the same key), or ''
ARGV[10] rps              calls a key may take per second (HYDRA_KEY_RPS)
ARGV[11..] fingerprints of the pool's keys

Cooling and the rate windows are wall time: Redis' own TIME, the one clock every replica shares.

Returns one of
  {1, fp, usedAfter, poolRemainingAfter, keyNowSpent, quotaLow, poolReset, strikes}
  {2, waitMs}                    every key that could pay is cooling or has taken this second's calls:
                                 wait, then ask again (nothing was charged)
  {0, resetAt, newlyExhausted}   no key can pay for this bucket until resetAt
]]
local now = tonumber(ARGV[1])
local bucket = ARGV[2]
local cost = tonumber(ARGV[3])
local quota = tonumber(ARGV[4])
local resetAt = tonumber(ARGV[5])
local ttlMs = tonumber(ARGV[6])
local lowThreshold = tonumber(ARGV[7])
local pool = ARGV[8]
local preferred = ARGV[9]
local rps = tonumber(ARGV[10])

-- The three hashes are read whole, once: one redis.call per key and field cost ~20 µs of Redis CPU per
-- key per call (a 1,000-key pool: 19 ms a call, a Redis core for ~50 calls a second), a Lua table
-- lookup a fraction of that.
local function hashOf(key)
  local flat = redis.call('HGETALL', key)
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end
local state = hashOf(KEYS[1])
local usage = hashOf(KEYS[2])
local rates = hashOf(KEYS[3])

local t = redis.call('TIME')
local wall = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local second = t[1]
local nextSecondIn = 1000 - math.floor(tonumber(t[2]) / 1000)

local best = nil
local bestUsed = nil
local minCool = nil
local remaining = 0
local preferredUsed = nil
local bestInWindow = 0
local preferredInWindow = 0
for i = 11, #ARGV do
  local fp = ARGV[i]
  local exhaustedUntil = tonumber(state[fp .. ':ex:' .. bucket] or '0')
  if not state[fp .. ':disabled'] and exhaustedUntil <= now then
    local used = tonumber(usage[fp .. ':' .. bucket] or '0')
    if used < quota then remaining = remaining + (quota - used) end
    if used + cost <= quota then
      local cool = tonumber(state[fp .. ':cool'] or '0')
      local inWindow = 0
      if rates[fp .. ':w'] == second then inWindow = tonumber(rates[fp .. ':n'] or '0') end
      if cool > wall then
        if minCool == nil or cool < minCool then minCool = cool end
      elseif inWindow >= rps then
        if minCool == nil or wall + nextSecondIn < minCool then minCool = wall + nextSecondIn end
      else
        if fp == preferred then
          preferredUsed = used
          preferredInWindow = inWindow
        end
        if bestUsed == nil or used < bestUsed then
          best = fp
          bestUsed = used
          bestInWindow = inWindow
        end
      end
    end
  end
end

if preferredUsed ~= nil then
  best = preferred
  bestInWindow = preferredInWindow
end

local poolFlag = 'pool:' .. pool .. ':ex:' .. bucket
if best == nil then
  if minCool ~= nil then return {2, minCool - wall} end
  if state[poolFlag] == ARGV[5] then return {0, resetAt, 0} end
  redis.call('HSET', KEYS[1], poolFlag, ARGV[5])
  return {0, resetAt, 1}
end

if bestInWindow == 0 then
  redis.call('HSET', KEYS[3], best .. ':w', second, best .. ':n', 1)
else
  redis.call('HINCRBY', KEYS[3], best .. ':n', 1)
end
local usedAfter = redis.call('HINCRBY', KEYS[2], best .. ':' .. bucket, cost)
redis.call('PEXPIRE', KEYS[2], ttlMs)
remaining = remaining - cost
local spent = 0
if usedAfter + 1 > quota then spent = 1 end
local low = 0
if remaining <= lowThreshold and redis.call('HSETNX', KEYS[2], 'low:' .. pool .. ':' .. bucket, 1) == 1 then
  low = 1
end
local reset = redis.call('HDEL', KEYS[1], poolFlag)
local strikes = tonumber(state[best .. ':strikes'] or '0')
return {1, best, usedAfter, remaining, spent, low, reset, strikes}
