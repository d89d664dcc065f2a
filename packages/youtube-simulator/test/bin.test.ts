import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../src/fingerprint.ts';
import { World } from '../src/world.ts';

/** The package on its own: its bin serves YouTube's API and charges quota, with no Pleiades around it. */

const BIN = join(import.meta.dirname, '..', 'bin', 'youtube-simulator.js');
const dir = mkdtempSync(join(tmpdir(), 'youtube-simulator-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
});

function run(args: string[]): { child: ChildProcess; out: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  child.stdout!.on('data', (b: Buffer) => {
    text += b;
  });
  child.stderr!.on('data', (b: Buffer) => {
    text += b;
  });
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  const out = new Promise<string>((done) => {
    child.stdout!.on('data', () => {
      if (text.includes('admin:')) done(text);
    });
    void exit.then(() => done(text));
  });
  return { child, out, exit };
}

describe('youtube-simulator (bin)', () => {
  it('serves videos.list to a key of its key file, and counts the unit against that key', async () => {
    const key = 'AIzaSyPackageTest-abcdefghijklmnopqrstu';
    writeFileSync(join(dir, 'keys.json'), JSON.stringify([key]));
    const { child, out, exit } = run(['--port', '0', '--seed', '7', '--keys-file', 'keys.json']);
    const banner = await out;
    expect(banner).toContain('1 valid key(s), from keys.json');
    expect(banner).not.toContain(key);
    const url = /listening at (http:\/\/\S+)/.exec(banner)![1]!;

    const id = new World(7, {}, Date.now()).videoIdAt(0);
    const ok = await fetch(`${url}/youtube/v3/videos?part=statistics&id=${id}&key=${key}`);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { kind: string; items: { id: string; statistics: object }[] };
    expect(body.kind).toBe('youtube#videoListResponse');
    expect(body.items.map((v) => v.id)).toEqual([id]);

    const bad = await fetch(`${url}/youtube/v3/videos?part=statistics&id=${id}&key=AIzaSyNotAKeyOfTheFile`);
    expect(bad.status).toBe(400);

    const stats = (await (await fetch(`${url}/admin/stats`)).json()) as {
      day: string;
      keys: Record<string, Record<string, { units: number }>>;
    };
    expect(stats.keys[keyFingerprint(key)]![stats.day]!.units).toBe(1);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('names the bad option and exits 2', async () => {
    const { out, exit } = run(['--speed=-3']);
    expect(await exit).toBe(2);
    expect(await out).toMatch(/^--speed: /);
  });
});
