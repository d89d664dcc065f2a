import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VaultChange, VaultProvider } from '../provider.ts';

/**
 * A cloud provider whose client library is loaded on first use: the Cloud Storage and Hugging Face
 * clients cost a worker process about 16 MB of memory, and most processes never touch the vault.
 */
export function lazyProvider(
  kind: 'gcs' | 'huggingface',
  atomicCommit: boolean,
  description: string,
  load: () => Promise<VaultProvider>,
): VaultProvider {
  let provider: Promise<VaultProvider> | null = null;
  const get = () => {
    provider ??= load();
    return provider;
  };
  return {
    kind,
    atomicCommit,
    workDir: join(tmpdir(), `pleiades-vault-${process.pid}`),
    commit: async (change: VaultChange) => (await get()).commit(change),
    list: async (prefix: string) => (await get()).list(prefix),
    read: async (key: string) => (await get()).read(key),
    describe: () => description,
    probe: async () => (await get()).probe(),
  };
}
