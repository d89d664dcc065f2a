import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redisCheckUrl } from '../deploy/healthcheck.ts';
import { loadConfig } from '../src/config/index.ts';
import { envSchema } from '../src/config/schema.ts';
import { ConfigError } from '../src/errors/index.ts';
import { describeRedisTarget, redisTarget } from '../src/redis.ts';

const load = (env: Record<string, string>) => loadConfig(env, { dotenvPath: false });

function issuesOf(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('has working defaults for a machine with local services', () => {
    const c = load({});
    expect(c).toMatchObject({
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/pleiades',
      REDIS_URL: 'redis://127.0.0.1:6379',
      VAULT_PROVIDER: 'local',
      VAULT_DIR: './data/vault',
      JANITOR_RETENTION_DAYS: 7,
      HYDRA_ENABLED: true,
      PORT: 3000,
    });
    expect(c.YOUTUBE_API_KEY_POOL_JSON).toBeUndefined();
  });

  it('rejects every malformed variable with one line naming it', () => {
    const bad: Record<string, string> = {
      DATABASE_URL: 'nonsense',
      REDIS_URL: 'http://x',
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      VAULT_PROVIDER: 's3',
      HYDRA_ENABLED: 'maybe',
      JANITOR_RETENTION_DAYS: '-1',
      WORKER_CONCURRENCY: '0',
      REDIS_PREFIX: 'nobraces',
    };
    const issues = issuesOf(bad);
    for (const name of Object.keys(bad))
      expect(
        issues.some((l) => l.startsWith(`${name}:`)),
        name,
      ).toBe(true);
    expect(issues.find((l) => l.startsWith('PORT:'))).toContain('"eighty"');
  });

  it('names the key pool variable but never prints the keys', () => {
    for (const v of ['not json AIzaSECRET', '[]', '{"hunting": []}', '[""]', '{"p": "AIzaSECRET"}']) {
      const issues = issuesOf({ YOUTUBE_API_KEY_POOL_JSON: v });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(/^YOUTUBE_API_KEY_POOL_JSON:/);
      expect(issues[0]).not.toContain('AIzaSECRET');
    }
    expect(load({ YOUTUBE_API_KEY_POOL_JSON: '["a","b"]' }).YOUTUBE_API_KEY_POOL_JSON).toEqual({
      default: ['a', 'b'],
    });
    expect(
      load({ YOUTUBE_API_KEY_POOL_JSON: '{"hunting":["a"],"tracking":["b"]}' }).YOUTUBE_API_KEY_POOL_JSON,
    ).toEqual({
      hunting: ['a'],
      tracking: ['b'],
    });
  });

  it('hides the password of a malformed URL', () => {
    const [line] = issuesOf({ DATABASE_URL: 'mysql://u:hunter2@db/x' });
    expect(line).toContain('DATABASE_URL');
    expect(line).not.toContain('hunter2');
  });

  it('reads a Redis Cluster or a Sentinel set, and refuses what cannot work', () => {
    const cluster = load({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002' });
    expect(cluster.REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b.internal', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    const sentinel = load({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster' });
    expect(redisTarget(sentinel)).toMatchObject({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      sentinelName: 'mymaster',
    });
    for (const bad of ['10.0.0.1', '10.0.0.1:0', 'a:70000', 'a:1,,b:2', 'http://a:1'])
      expect(issuesOf({ REDIS_CLUSTER_NODES: bad })[0], bad).toMatch(
        /^REDIS_CLUSTER_NODES: expected comma-separated host:port/,
      );
    expect(issuesOf({ REDIS_SENTINELS: 's1:26379' })).toEqual([
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master group name the sentinels monitor)',
    ]);
    expect(issuesOf({ REDIS_SENTINEL_NAME: 'mymaster' })[0]).toMatch(/^REDIS_SENTINELS: required/);
    expect(
      issuesOf({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 's:2', REDIS_SENTINEL_NAME: 'm' })[0],
    ).toMatch(/^REDIS_CLUSTER_NODES: a Redis Cluster and Sentinel are two topologies/);
    expect(issuesOf({ REDIS_SENTINEL_NAME: 'my master', REDIS_SENTINELS: 's:1' })[0]).toMatch(
      /^REDIS_SENTINEL_NAME:/,
    );
  });

  it('never shows a Redis password: not in errors, not in the description doctor and the logs use', () => {
    const c = load({
      REDIS_URL: 'redis://default:data-secret-pw@127.0.0.1:6379',
      REDIS_SENTINELS: 's1:26379',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret-pw',
    });
    const shown = describeRedisTarget(redisTarget(c));
    expect(shown).toBe('Sentinel master "mymaster" via s1:26379');
    expect(describeRedisTarget(redisTarget({ ...c, REDIS_SENTINELS: undefined }))).toBe(
      'redis://127.0.0.1:6379',
    );
    // A sentinel password with a malformed companion is named, never echoed.
    const issues = issuesOf({ REDIS_SENTINEL_PASSWORD: 'sentinel-secret-pw' });
    expect(issues.join('\n')).not.toContain('sentinel-secret-pw');
    // The container health check PINGs the first node (cluster) or sentinel, with the right password.
    const url = (env: Record<string, string>) => new URL(redisCheckUrl(env));
    expect(url({ REDIS_URL: 'redis://:pw@x:6379', REDIS_CLUSTER_NODES: 'n1:7000,n2:7000' })).toMatchObject({
      host: 'n1:7000',
      password: 'pw',
    });
    expect(
      url({ REDIS_URL: 'redis://:pw@x:6379', REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_PASSWORD: 'sp' }),
    ).toMatchObject({ host: 's1:26379', password: 'sp' });
  });

  it('asks for what a provider needs', () => {
    expect(issuesOf({ VAULT_PROVIDER: 'gcs' })).toEqual(['GCS_BUCKET: required when VAULT_PROVIDER=gcs']);
  });

  it('.env.example lists every variable', () => {
    const example = readFileSync('.env.example', 'utf8');
    const listed = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect([...Object.keys(envSchema.shape)].filter((k) => !listed.has(k))).toEqual([]);
  });

  it('the CLI stops with the variable named and a non-zero exit', () => {
    for (const [name, value] of [
      ['DATABASE_URL', 'nonsense'],
      ['REDIS_URL', 'nonsense'],
      ['PORT', '99999'],
      ['JANITOR_RETENTION_DAYS', 'week'],
    ] as const) {
      const r = spawnSync(process.execPath, ['app/cli/main.ts', 'migrate'], {
        env: { ...process.env, [name]: value },
        encoding: 'utf8',
      });
      expect(r.status, name).toBe(2);
      expect(r.stderr).toContain(`${name}:`);
    }
  });
});
