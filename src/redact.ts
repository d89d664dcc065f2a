/** One place that knows what a secret looks like, for logs, errors, alerts and admin pages. */

/** Replaces the password (and a token-looking user) of a URL with `***`; leaves non-URLs untouched. */
export function redactUrl(s: string): string {
  try {
    const u = new URL(s);
    if (!u.password && !u.username) return scrubQuery(u);
    if (u.password) u.password = '***';
    return scrubQuery(u);
  } catch {
    return s.replace(/\/\/([^:/@\s]+):([^@\s]+)@/g, '//$1:***@');
  }
}

function scrubQuery(u: URL): string {
  for (const k of [...u.searchParams.keys()])
    if (/^(key|token|access_token|api_key|apikey|secret|password)$/i.test(k)) u.searchParams.set(k, '***');
  return u.toString();
}

/** Secrets registered at start-up (API keys, tokens); `scrubText` removes each wherever it appears. */
const known = new Set<string>();

export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 6) known.add(secret);
}

export function scrubText(s: string): string {
  let out = s;
  for (const secret of known) if (out.includes(secret)) out = out.split(secret).join('***');
  return out
    .replace(/([?&](?:key|token|access_token)=)[^&\s"']+/gi, '$1***')
    .replace(/\/\/([^:/@\s]+):([^@\s]+)@/g, '//$1:***@');
}

const SECRET_FIELD = /(^|_)(key|keys|token|secret|password|authorization|apikey|api_key)$/i;

/** Deep copy of `value` with secret-named fields masked and secret strings scrubbed. */
export function scrubDeep(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_FIELD.test(k) ? '***' : scrubDeep(v, depth + 1);
    return out;
  }
  return value;
}
