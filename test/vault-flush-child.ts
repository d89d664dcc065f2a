/**
 * A flush in a process of its own, for the crash tests: it kills itself with SIGKILL (no cleanup, no
 * finally blocks) when the flush reaches step CRASH_AT of its CRASH_RANGE-th range.
 */
import { ManualClock } from '../src/clock.ts';
import { loadConfig } from '../src/config/index.ts';
import { createPool } from '../src/db/pool.ts';
import { silentLogger } from '../src/log.ts';
import { createVault } from '../src/vault/index.ts';

const config = loadConfig(process.env, { dotenvPath: false });
const pool = createPool(config.DATABASE_URL, { max: 3 });
const vault = createVault(config, silentLogger);
const crashAt = process.env.CRASH_AT;
const crashRange = Number(process.env.CRASH_RANGE ?? '1');
let ranges = 0;
const r = await vault.flush(pool, {
  clock: new ManualClock(Number(process.env.CLOCK_MS)),
  force: true,
  onStep: (step, rec) => {
    if (step === 'recorded' && rec.kind === 'metrics') ranges++;
    if (step === crashAt && ranges === crashRange) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write(`${JSON.stringify(r)}\n`);
await pool.end();
