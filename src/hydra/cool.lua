--[[
cool.lua: YouTube said rateLimitExceeded (or 429) for a key: cool it for an exponentially growing,
jittered while. Strikes count consecutive rate limits of the key across replicas (a burst's answers that arrive while
the key already cools count once); a success clears them.

KEYS[1]  state hash   <prefix>:hydra:state
ARGV[1]  fp           the key's fingerprint
ARGV[2]  baseMs       first cooling period
ARGV[3]  maxMs        longest cooling period
ARGV[4]  jitter       factor in [0.5, 1], drawn by the caller (scripts must stay deterministic)

Cooling is wall time on Redis' own TIME, shared by every replica.
Returns {coolMs, strikes}
]]
local t = redis.call('TIME')
local wall = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fp = ARGV[1]
local prev = tonumber(redis.call('HGET', KEYS[1], fp .. ':cool') or '0')
if prev > wall then
  -- Already cooling: no request goes to a cooling key, so this answers one sent before the cooling
  -- began, part of the same burst. Counting each of a burst's answers as a strike would send a key
  -- that many concurrent callers hit at once straight to the longest cooling period.
  return {prev - wall, tonumber(redis.call('HGET', KEYS[1], fp .. ':strikes') or '1')}
end
local strikes = redis.call('HINCRBY', KEYS[1], fp .. ':strikes', 1)
local delay = tonumber(ARGV[2]) * (2 ^ math.min(strikes - 1, 30))
delay = math.floor(math.min(delay, tonumber(ARGV[3])) * tonumber(ARGV[4]))
local untilMs = wall + delay
redis.call('HSET', KEYS[1], fp .. ':cool', untilMs)
return {delay, strikes}
