import type { Config } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';
import { registerSecret } from '../redact.ts';

/**
 * WebSub is off unless a public callback URL is configured; with one, a secret is required (every
 * notification must carry its HMAC signature, or it is refused).
 */
export interface WebSubSettings {
  callbackUrl: string;
  /** The callback's path on the dashboard server (e.g. `/websub`). */
  callbackPath: string;
  secret: string;
  hubUrl: string;
  leaseSeconds: number;
  renewBeforeMs: number;
}

export function websubSettings(config: Config): WebSubSettings | null {
  if (!config.WEBSUB_CALLBACK_URL) return null;
  if (!config.WEBSUB_SECRET)
    throw new ConfigError([
      'WEBSUB_SECRET: required when WEBSUB_CALLBACK_URL is set (it signs notifications)',
    ]);
  const path = new URL(config.WEBSUB_CALLBACK_URL).pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || /^\/(api|queues|metrics|dist|login)(\/|$)/.test(path))
    throw new ConfigError([
      `WEBSUB_CALLBACK_URL: its path must be one of its own, like /websub (got ${JSON.stringify(path)})`,
    ]);
  registerSecret(config.WEBSUB_SECRET);
  return {
    callbackUrl: config.WEBSUB_CALLBACK_URL,
    callbackPath: path,
    secret: config.WEBSUB_SECRET,
    hubUrl: config.WEBSUB_HUB_URL,
    leaseSeconds: config.WEBSUB_LEASE_S,
    renewBeforeMs: config.WEBSUB_RENEW_BEFORE_S * 1000,
  };
}
