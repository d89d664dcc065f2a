import { existsSync, readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { ConfigError } from '../errors/index.ts';
import { redactUrl } from '../redact.ts';
import { type Env, envSchema, isSecretVar } from './schema.ts';

export type { Env } from './schema.ts';
export type Config = Env;

/**
 * Parses the environment once. Values in the process environment win over an optional `.env` file.
 * A bad value throws a ConfigError with one line per variable: its name, what was expected and, for
 * non-secrets, what was given.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  opts: { dotenvPath?: string | false } = {},
): Config {
  const fileVars: Record<string, string> = {};
  const path = opts.dotenvPath ?? '.env';
  if (path && existsSync(path)) Object.assign(fileVars, parseDotenv(readFileSync(path)));
  const merged: Record<string, string | undefined> = { ...fileVars };
  for (const key of Object.keys(envSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') merged[key] = v;
    else if (merged[key] === '') delete merged[key];
  }
  const known: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) if (merged[key] !== undefined) known[key] = merged[key];
  const result = envSchema.safeParse(known);
  if (result.success) return checkCombinations(result.data);
  const lines = new Map<string, string>();
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? '?');
    if (lines.has(name)) continue;
    const given = known[name];
    const shown =
      given === undefined
        ? 'not set'
        : name.endsWith('_URL')
          ? `got ${JSON.stringify(redactUrl(given))}`
          : isSecretVar(name)
            ? '(value hidden)'
            : `got ${JSON.stringify(given)}`;
    lines.set(name, `${name}: ${issue.message}; ${shown}`);
  }
  throw new ConfigError([...lines.values()]);
}

function checkCombinations(c: Env): Env {
  const issues: string[] = [];
  if (c.VAULT_PROVIDER === 'gcs' && !c.GCS_BUCKET)
    issues.push('GCS_BUCKET: required when VAULT_PROVIDER=gcs');
  if (c.VAULT_PROVIDER === 'huggingface') {
    if (!c.HF_DATASET_ID) issues.push('HF_DATASET_ID: required when VAULT_PROVIDER=huggingface');
    if (!c.HF_TOKEN) issues.push('HF_TOKEN: required when VAULT_PROVIDER=huggingface');
  }
  if ((c.DASHBOARD_USER === undefined) !== (c.DASHBOARD_PASSWORD === undefined))
    issues.push('DASHBOARD_USER: DASHBOARD_USER and DASHBOARD_PASSWORD go together');
  if (c.REDIS_CLUSTER_NODES && c.REDIS_SENTINELS)
    issues.push('REDIS_CLUSTER_NODES: a Redis Cluster and Sentinel are two topologies; set one of them');
  if (c.REDIS_SENTINELS && !c.REDIS_SENTINEL_NAME)
    issues.push(
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master group name the sentinels monitor)',
    );
  if (c.REDIS_SENTINEL_NAME && !c.REDIS_SENTINELS)
    issues.push('REDIS_SENTINELS: required with REDIS_SENTINEL_NAME (host:port of each sentinel)');
  if (c.REDIS_SENTINEL_PASSWORD && !c.REDIS_SENTINELS)
    issues.push('REDIS_SENTINELS: required with REDIS_SENTINEL_PASSWORD');
  if (issues.length) throw new ConfigError(issues);
  return c;
}

/** True when no key pool is configured: the built-in simulator stands in for YouTube. */
export const usesSimulator = (c: Config): boolean => c.YOUTUBE_API_KEY_POOL_JSON === undefined;
