import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  access,
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { VaultUnavailableError } from '../../errors/index.ts';
import { datasetOf, type VaultChange, type VaultObject, type VaultProvider } from '../provider.ts';

/**
 * The vault on a local disk. Each dataset directory (`metrics`, `videos`) is a symbolic link to a
 * generation directory under `.generations/`. Adding files is a rename into the current generation
 * (atomic per file). A change that also deletes (compaction) builds the next generation from hard
 * links, swaps the link with one rename — a reader listing `metrics/` sees the old set or the new one,
 * never a mix — and keeps the previous generation for readers still going through it.
 */
export function localProvider(rootDir: string): VaultProvider {
  const root = resolve(rootDir);
  const gens = join(root, '.generations');
  const workDir = join(root, '.tmp');

  const fail = (what: string, err: unknown): VaultUnavailableError =>
    new VaultUnavailableError('local', `${what}: ${(err as Error).message}`, { cause: err });

  async function generations(ds: string): Promise<number[]> {
    const names = await readdir(gens).catch(() => [] as string[]);
    return names
      .map((n) => new RegExp(`^${ds}\\.(\\d+)$`).exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }
  const genName = (ds: string, n: number): string => `${ds}.${String(n).padStart(6, '0')}`;

  /** Makes sure `root/ds` is a link to a generation; returns the generation's directory name. */
  async function ensureDataset(ds: string): Promise<string> {
    const linkPath = join(root, ds);
    const st = await lstat(linkPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (st?.isSymbolicLink()) return (await readlink(linkPath)).split('/').pop()!;
    await mkdir(gens, { recursive: true });
    const name = genName(ds, ((await generations(ds)).at(-1) ?? 0) + 1);
    // A plain directory (made by hand or an older version) becomes the first generation.
    if (st?.isDirectory()) await rename(linkPath, join(gens, name));
    else await mkdir(join(gens, name), { recursive: true });
    await symlink(join('.generations', name), linkPath);
    return name;
  }

  async function fsyncPath(path: string): Promise<void> {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Moves (or copies, across disks) a finished file to `dest` so that it appears complete at once. */
  async function place(src: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    await fsyncPath(src);
    try {
      await rename(src, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      const tmp = `${dest}.${randomBytes(4).toString('hex')}.tmp`;
      await copyFile(src, tmp);
      await fsyncPath(tmp);
      await rename(tmp, dest);
    }
    await fsyncPath(dirname(dest));
  }

  /** Hard-links every published file of `from` into `to`, except `skip` (paths relative to the dataset). */
  async function linkTree(from: string, to: string, skip: Set<string>): Promise<void> {
    await mkdir(to, { recursive: true });
    for (const e of await readdir(from, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !isPublished(e.name)) continue;
      const rel = join(e.parentPath, e.name).slice(from.length + 1);
      if (skip.has(rel)) continue;
      await mkdir(dirname(join(to, rel)), { recursive: true });
      await link(join(from, rel), join(to, rel));
    }
  }

  async function swapGeneration(ds: string, adds: VaultChange['adds'], deletes: string[]): Promise<void> {
    const current = await ensureDataset(ds);
    const all = await generations(ds);
    const next = genName(ds, (all.at(-1) ?? 0) + 1);
    const nextDir = join(gens, next);
    await rm(nextDir, { recursive: true, force: true });
    const strip = (key: string) => key.slice(ds.length + 1);
    await linkTree(join(gens, current), nextDir, new Set(deletes.map(strip)));
    for (const a of adds) await place(a.path, join(nextDir, strip(a.key)));
    await fsyncPath(nextDir);
    const tmpLink = join(root, `.${ds}.${randomBytes(4).toString('hex')}.link`);
    await symlink(join('.generations', next), tmpLink);
    await rename(tmpLink, join(root, ds));
    await fsyncPath(root);
    // Keep the generation just replaced: a reader that listed it may still be opening its files.
    for (const n of await generations(ds)) {
      const name = genName(ds, n);
      if (name !== next && name !== current) await rm(join(gens, name), { recursive: true, force: true });
    }
  }

  return {
    kind: 'local',
    atomicCommit: true,
    workDir,
    async commit(change) {
      try {
        // Files at the root (the dataset card, README.md) are no dataset: a rename replaces them.
        for (const a of change.adds.filter((x) => !x.key.includes('/')))
          await place(a.path, join(root, a.key));
        const adds = change.adds.filter((x) => x.key.includes('/'));
        if (change.deletes.length === 0) {
          for (const a of adds) {
            await ensureDataset(datasetOf(a.key));
            await place(a.path, join(root, a.key));
          }
          return;
        }
        const datasets = new Set([...adds.map((a) => a.key), ...change.deletes].map(datasetOf));
        for (const ds of datasets)
          await swapGeneration(
            ds,
            adds.filter((a) => datasetOf(a.key) === ds),
            change.deletes.filter((k) => datasetOf(k) === ds),
          );
      } catch (err) {
        throw fail('commit', err);
      }
    },
    async list(prefix) {
      const ds = datasetOf(prefix);
      const base = join(root, ds);
      let entries: import('node:fs').Dirent[] = [];
      try {
        entries = await readdir(base, { recursive: true, withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return [];
        throw fail('list', err);
      }
      const out: VaultObject[] = [];
      for (const e of entries) {
        if (!e.isFile() || !isPublished(e.name)) continue;
        const abs = join(e.parentPath, e.name);
        const key = `${ds}/${abs.slice(base.length + 1)}`;
        if (!key.startsWith(prefix)) continue;
        const st = await stat(abs).catch(() => null);
        if (st) out.push({ key, size: st.size });
      }
      return out.sort((a, b) => (a.key < b.key ? -1 : 1));
    },
    async read(key) {
      try {
        return new Uint8Array(await readFile(join(root, key)));
      } catch (err) {
        throw fail(`read ${key}`, err);
      }
    },
    async openRange(key) {
      try {
        const fh = await open(join(root, key), 'r');
        const { size } = await fh.stat();
        return {
          size,
          async read(start, end) {
            const buf = Buffer.allocUnsafe(end - start);
            const { bytesRead } = await fh.read(buf, 0, end - start, start);
            return buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead) as ArrayBuffer;
          },
          close: () => fh.close(),
        };
      } catch (err) {
        throw fail(`open ${key}`, err);
      }
    },
    describe: () => `local directory ${root}`,
    async probe() {
      try {
        await mkdir(root, { recursive: true });
        await access(root, constants.W_OK);
        return `local directory ${root} is writable`;
      } catch (err) {
        throw fail(`local directory ${root}`, err);
      }
    },
  };
}

/** Files a reader sees: finished ones, not the temporary names used while writing. */
const isPublished = (name: string): boolean => !name.startsWith('.') && !name.endsWith('.tmp');

/** Removes a file if present. */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}
