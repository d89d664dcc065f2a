import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileCacheDir,
  compileCacheEnv,
  DEFAULT_COMPILE_CACHE_DIR,
  projectModules,
} from '../app/cli/compile-cache.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** The compile cache that spares the CLI's processes Node's TypeScript stripper (docs/architecture.md). */
describe('compile cache', () => {
  it("adds Node's default cache unless one is set or the cache is turned off", () => {
    expect(compileCacheEnv({})).toEqual({ NODE_COMPILE_CACHE: DEFAULT_COMPILE_CACHE_DIR });
    expect(compileCacheEnv({ NODE_COMPILE_CACHE: '/app/.compile-cache' })).toEqual({});
    expect(compileCacheEnv({ NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual({});
    expect(compileCacheDir({})).toBe(DEFAULT_COMPILE_CACHE_DIR);
    expect(compileCacheDir({ NODE_COMPILE_CACHE: '/app/.compile-cache' })).toBe('/app/.compile-cache');
    expect(compileCacheDir({ NODE_DISABLE_COMPILE_CACHE: '1' })).toBeUndefined();
  });

  it('warms every module a process may load, lazy ones included, and no test', async () => {
    const files = (await projectModules()).map((f) => relative(ROOT, f));
    for (const f of [
      'app/cli/main.ts',
      'app/cli/heap.ts',
      'app/cli/compile-cache.ts',
      'app/context.ts',
      'workers/tracker.ts',
      'deploy/healthcheck.ts',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /\.(test|d)\.ts$|(^|\/)test\//.test(f))).toEqual([]);
  });
});
