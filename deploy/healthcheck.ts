/**
 * Container health check for every role of the one image (Docker HEALTHCHECK, Kubernetes exec probes).
 *
 *   node deploy/healthcheck.ts [role [args…]]
 *
 * Without a role it reads the container's main command line (/proc/1/cmdline: `tini -- node
 * app/cli/main.ts worker …`), so one HEALTHCHECK line in the Dockerfile serves every role. Servers are
 * asked over HTTP (the dashboard's /api/health, which is 503 when a dependency is down; the simulator
 * answers at all); workers have no port, so their check is whether this container reaches Redis (AUTH +
 * PING) and Postgres (a server that answers the SSL request); the scheduler talks to Redis only (and
 * gets no database password in docker-compose.yml), so its check is Redis alone.
 *
 * It imports only node: modules on purpose: an exec probe runs inside the container's memory limit next
 * to the worker, and loading the project's libraries (pg, ioredis, zod) would cost ~100 MB RSS per probe
 * instead of ~61 MB with the image's compile cache (Node itself; ~78 MB when Node strips this file's
 * types, app/cli/compile-cache.ts).
 *
 * Exit 0 healthy, 1 not; one line says why, never with a secret.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface Health {
  ok: boolean;
  detail: string;
}

/** The variables read here, with the same defaults as src/config/schema.ts (a test keeps them equal). */
export const DEFAULTS = {
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/pleiades',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PORT: 3000,
  SIMULATOR_PORT: 0,
} as const;

type Env = Record<string, string | undefined>;
const setting = (env: Env, name: keyof typeof DEFAULTS): string => env[name] || String(DEFAULTS[name]);

const ENTRY = /(?:^|\/)(?:main\.ts|pleiades\.js|pleiades)$/;

/** The role and its arguments after the CLI entry point in a command line, or undefined when none. */
export function detectRole(argv: readonly string[]): { role: string; args: string[] } | undefined {
  const at = argv.findIndex((a) => ENTRY.test(a));
  if (at < 0) return undefined;
  const rest = argv.slice(at + 1);
  const i = rest.findIndex((a) => !a.startsWith('-'));
  return i < 0 ? undefined : { role: rest[i]!, args: rest.slice(i + 1) };
}

function optionValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

const where = (u: URL): string => `${u.protocol}//${u.hostname}:${u.port}`;

function httpCheck(url: string, healthy: (status: number) => boolean, timeoutMs: number): Promise<Health> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ ok: healthy(status), detail: `${url} answered ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, detail: `${url}: ${errText(err)}` }));
    req.end();
  });
}

const errText = (err: unknown): string => (err as { code?: string }).code ?? (err as Error).message;

/** Opens a TCP (or TLS) connection, writes `hello`, and resolves with what came back once `done` says so. */
function exchange(
  secure: boolean,
  host: string,
  port: number,
  hello: Buffer,
  done: (received: Buffer) => boolean,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket: Socket = secure
      ? tlsConnect({ host, port, servername: host }, () => socket.write(hello))
      : tcpConnect({ host, port }, () => socket.write(hello));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (done(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed')));
  });
}

const resp = (...words: string[]): string =>
  `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`;

/**
 * Which Redis to PING: REDIS_URL, or with REDIS_CLUSTER_NODES the first seed node (same credentials),
 * or with REDIS_SENTINELS the first sentinel (with REDIS_SENTINEL_PASSWORD): the process's own way in.
 */
export function redisCheckUrl(env: Env): string {
  const u = new URL(setting(env, 'REDIS_URL'));
  const first = (v: string | undefined) => v?.split(',')[0]?.trim() || undefined;
  const node = first(env.REDIS_CLUSTER_NODES);
  const sentinel = first(env.REDIS_SENTINELS);
  if (node) u.host = node;
  else if (sentinel) {
    u.host = sentinel;
    u.username = '';
    u.password = env.REDIS_SENTINEL_PASSWORD ? encodeURIComponent(env.REDIS_SENTINEL_PASSWORD) : '';
  }
  return u.toString();
}

export async function redisCheck(url: string, timeoutMs: number): Promise<Health> {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  const user = decodeURIComponent(u.username);
  const auth = password ? (user ? resp('AUTH', user, password) : resp('AUTH', password)) : '';
  const replies = password ? 2 : 1;
  try {
    const out = await exchange(
      u.protocol === 'rediss:',
      u.hostname,
      Number(u.port || 6379),
      Buffer.from(auth + resp('PING')),
      (b) => b.toString().split('\r\n').length > replies,
      timeoutMs,
    );
    const lines = out.toString().split('\r\n').slice(0, replies);
    const bad = lines.find((l) => l.startsWith('-'));
    if (bad) return { ok: false, detail: `redis ${where(u)}: ${bad.slice(1, 100)}` };
    return { ok: lines.at(-1) === '+PONG', detail: `redis ${where(u)} answered PING` };
  } catch (err) {
    return { ok: false, detail: `redis ${where(u)}: ${errText(err)}` };
  }
}

/** A Postgres server answers an SSLRequest with one byte, S or N: proof that it is up and listening. */
export async function postgresCheck(url: string, timeoutMs: number): Promise<Health> {
  const u = new URL(url);
  const sslRequest = Buffer.alloc(8);
  sslRequest.writeInt32BE(8, 0);
  sslRequest.writeInt32BE(80877103, 4);
  try {
    const out = await exchange(
      false,
      u.hostname,
      Number(u.port || 5432),
      sslRequest,
      (b) => b.length > 0,
      timeoutMs,
    );
    const ok = out[0] === 0x53 || out[0] === 0x4e;
    return { ok, detail: `postgres ${where(u)} ${ok ? 'answered' : 'gave an unexpected answer'}` };
  } catch (err) {
    return { ok: false, detail: `postgres ${where(u)}: ${errText(err)}` };
  }
}

/** Checks one role. `args` are the role's own arguments (the simulator's --port). */
export async function checkHealth(
  role: string | undefined,
  args: readonly string[],
  env: Env = process.env,
  timeoutMs = 5000,
): Promise<Health> {
  switch (role) {
    case 'migrate':
      // A one-shot job: healthy while it runs; its exit code says how it ended.
      return { ok: true, detail: 'migrate is a one-shot job' };
    case 'dashboard':
    case 'start':
      return httpCheck(`http://127.0.0.1:${setting(env, 'PORT')}/api/health`, (s) => s === 200, timeoutMs);
    case 'simulator': {
      const port = optionValue(args, '--port') ?? setting(env, 'SIMULATOR_PORT');
      // Any answer, a 404 included, means the server is up; only 5xx or silence is unhealthy.
      return httpCheck(`http://127.0.0.1:${port}/`, (s) => s < 500, timeoutMs);
    }
    case 'scheduler':
      return redisCheck(setting(env, 'REDIS_URL'), timeoutMs);
    default: {
      const [redis, pg] = await Promise.all([
        redisCheck(redisCheckUrl(env), timeoutMs),
        postgresCheck(setting(env, 'DATABASE_URL'), timeoutMs),
      ]);
      return { ok: redis.ok && pg.ok, detail: `${redis.detail}; ${pg.detail}` };
    }
  }
}

function mainCommandLine(): string[] {
  try {
    return readFileSync('/proc/1/cmdline', 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

if (import.meta.main) {
  const explicit = process.argv[2];
  const found = explicit ? { role: explicit, args: process.argv.slice(3) } : detectRole(mainCommandLine());
  const role = found?.role ?? 'worker';
  const health = await checkHealth(role, found?.args ?? []);
  process.stdout.write(`${health.ok ? 'healthy' : 'unhealthy'} ${role}: ${health.detail}\n`);
  process.exitCode = health.ok ? 0 : 1;
}
