import { readdirSync, readlinkSync } from 'node:fs';

/** Files under `dir` this process holds open, from /proc/self/fd (`dir` without symlinks). */
export function openFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${dir}/`)) out.push(target);
    } catch {
      // closed while we looked (readdir's own descriptor)
    }
  }
  return out;
}
