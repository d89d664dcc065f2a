import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** `pleiades simulator` as a user runs it: a real child process serving YouTube's API on a port. */

const ROOT = new URL('..', import.meta.url).pathname;
const children: ChildProcess[] = [];
let dir = '';
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts the CLI and resolves with its output once it printed its third line. */
function startCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ out: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'app/cli/main.ts'), 'simulator', '--port', '0', ...args],
    {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.split('\n').length > 3) resolve({ out, child });
    });
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${err}`)));
  });
}

const urlOf = (out: string) => /listening at (http:\/\/\S+)/.exec(out)![1]!;

describe('pleiades simulator', () => {
  it('generates keys into a 0600 file, prints the URL and the number of keys, never the keys', async () => {
    dir = await mkdtemp(join(tmpdir(), 'pleiades-sim-'));
    const { out, child } = await startCli([
      '--seed',
      '7',
      '--generate-keys',
      '2',
      '--keys-out',
      'keys/sim.json',
    ]);
    const file = join(dir, 'keys/sim.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(await readFile(file, 'utf8')) as string[];
    expect(keys).toHaveLength(2);
    expect(out).toContain('2 valid key(s)');
    expect(out).toContain(file);
    for (const k of keys) expect(out).not.toContain(k);
    const url = urlOf(out);
    const ok = await fetch(`${url}/youtube/v3/search?part=snippet&q=music&key=${keys[0]}`);
    expect(ok.status).toBe(200);
    const bad = await fetch(`${url}/youtube/v3/search?part=snippet&q=music&key=AIzaNotOneOfThem`);
    expect(bad.status).toBe(400);
    // a scaled clock: the admin endpoint can move it forward
    const moved = await fetch(`${url}/admin/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceMs: 86_400_000 }),
    });
    expect(moved.status).toBe(200);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });

  it('takes its keys from YOUTUBE_API_KEY_POOL_JSON, or from --keys-file', async () => {
    const pool = JSON.stringify({
      hunting: ['AIzaPoolKeyOne-xxxxxxxx'],
      tracking: ['AIzaPoolKeyTwo-yyyyyyyy'],
    });
    const fromEnv = await startCli([], { YOUTUBE_API_KEY_POOL_JSON: pool });
    expect(fromEnv.out).toContain('2 valid key(s), from YOUTUBE_API_KEY_POOL_JSON');
    expect(fromEnv.out).not.toContain('AIzaPoolKey');
    const r = await fetch(
      `${urlOf(fromEnv.out)}/youtube/v3/videoCategories?part=snippet&regionCode=US&key=AIzaPoolKeyTwo-yyyyyyyy`,
    );
    expect(r.status).toBe(200);
    fromEnv.child.kill('SIGTERM');

    await writeFile(
      join(dir, 'keys.txt'),
      '# one a line\nAIzaLineKeyA-123456\nAIzaLineKeyB-123456\nAIzaLineKeyC-123456\n',
    );
    const fromFile = await startCli(['--keys-file', 'keys.txt']);
    expect(fromFile.out).toContain('3 valid key(s), from keys.txt');
    fromFile.child.kill('SIGTERM');
  });
});
