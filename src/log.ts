import pino, { type Logger } from 'pino';
import { scrubText } from './redact.ts';

export type { Logger } from 'pino';

/** Paths pino masks wherever they appear in a log object (API keys, tokens, passwords in URLs). */
export const REDACT_PATHS = [
  'key',
  'apiKey',
  '*.key',
  '*.apiKey',
  'token',
  '*.token',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'config.params.key',
  'err.config.params.key',
  'HF_TOKEN',
  'DASHBOARD_TOKEN',
  'YOUTUBE_API_KEY_POOL_JSON',
];

export function createLogger(
  opts: { level?: string; format?: 'auto' | 'json' | 'pretty'; name?: string } = {},
): Logger {
  const pretty = opts.format === 'pretty' || (opts.format !== 'json' && process.stdout.isTTY === true);
  return pino({
    name: opts.name ?? 'pleiades',
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '***' },
    // Last line of defence: whatever slipped through as text (an error message quoting a URL with a
    // key, say) is scrubbed of every registered secret before it is written.
    hooks: {
      streamWrite: (s) => scrubText(s),
    },
    ...(pretty
      ? {
          // One line per event for people: time, level, message, then the fields; the process's
          // pid, host and name are the same on every line.
          transport: {
            target: 'pino-pretty',
            options: {
              colorize: true,
              singleLine: true,
              translateTime: 'SYS:HH:MM:ss',
              ignore: 'pid,hostname,name',
            },
          },
        }
      : {}),
  });
}

/** A logger for code that runs before configuration is known, and for tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
