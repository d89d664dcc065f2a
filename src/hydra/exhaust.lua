--[[
exhaust.lua: YouTube said quotaExceeded for a key's bucket although our count had room (its count
differs from ours). Mark the bucket spent until the next Pacific midnight, and raise our count to the
quota so remaining() tells the truth. The key's other bucket stays usable.

KEYS[1]  state hash   <prefix>:hydra:state
KEYS[2]  usage hash   <prefix>:hydra:used:<pacific day>
ARGV[1]  fp           the key's fingerprint
ARGV[2]  bucket       'search' | 'units'
ARGV[3]  resetAt      next Pacific midnight, Hydra clock ms
ARGV[4]  quota        daily quota of one key for this bucket
ARGV[5]  ttlMs        lifetime of KEYS[2] from now

Returns 1 when this call marked the bucket (raise key.exhausted once), 0 when another replica had.
]]
local field = ARGV[1] .. ':ex:' .. ARGV[2]
if redis.call('HGET', KEYS[1], field) == ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], field, ARGV[3])
local usedField = ARGV[1] .. ':' .. ARGV[2]
local used = tonumber(redis.call('HGET', KEYS[2], usedField) or '0')
if used < tonumber(ARGV[4]) then redis.call('HSET', KEYS[2], usedField, ARGV[4]) end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
