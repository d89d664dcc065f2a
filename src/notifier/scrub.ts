import { scrubDeep, scrubText } from '../redact.ts';

/**
 * What an alert may carry to a sink outside the system: src/redact.ts's scrubbing (registered
 * secrets, secret-named fields, URL passwords, `?key=`), plus the shapes of the credentials this
 * system handles, in case one arrives in a field with an innocent name or an error message.
 */
const PATTERNS: [RegExp, string][] = [
  [/AIza[0-9A-Za-z_-]{35}/g, '***'], // Google API key
  [/\bhf_[A-Za-z0-9]{20,}/g, '***'], // Hugging Face token
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, '***'], // Slack token
  [/(hooks\.slack\.com\/services\/)[^\s"'<>]+/g, '$1***'], // Slack webhook path: itself a secret
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]{8,}=*/gi, '$1 ***'],
  [
    /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token)(["']?\s*[=:]\s*["']?)[^\s"'&,;}]+/gi,
    '$1$2***',
  ],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '***'],
];

const MAX_STRING = 2000;

export function scrubAlertText(s: string): string {
  let out = scrubText(s);
  for (const [re, by] of PATTERNS) out = out.replace(re, by);
  return out.length > MAX_STRING ? `${out.slice(0, MAX_STRING)}…` : out;
}

/** JSON-safe, secret-free deep copy: Errors keep name and message, bigints become strings. */
export function scrubAlertMetadata(value: unknown): Record<string, unknown> {
  const plain = toPlain(value, 0);
  const scrubbed = rescrub(scrubDeep(plain));
  return scrubbed && typeof scrubbed === 'object' && !Array.isArray(scrubbed)
    ? (scrubbed as Record<string, unknown>)
    : { value: scrubbed };
}

function toPlain(v: unknown, depth: number): unknown {
  if (depth > 8) return '[deep]';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Error) return { name: v.name, message: v.message };
  if (v instanceof URL) return v.toString();
  if (typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (Array.isArray(v)) return v.slice(0, 100).map((x) => toPlain(x, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v).slice(0, 100)) {
      const p = toPlain(x, depth + 1);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return v;
}

function rescrub(v: unknown): unknown {
  if (typeof v === 'string') return scrubAlertText(v);
  if (Array.isArray(v)) return v.map(rescrub);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrubAlertText(k), rescrub(x)]));
  return v;
}
