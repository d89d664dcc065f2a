import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommitOperation, commit, downloadFile, HubApiError, listFiles } from '@huggingface/hub';
import { VaultUnavailableError } from '../../errors/index.ts';
import type { VaultObject, VaultProvider } from '../provider.ts';

export interface HuggingFaceOptions {
  /** owner/name of the dataset repository. */
  datasetId: string;
  /** A write token; passed only to the client library, never logged. */
  token: string;
  /** Another Hub (a mirror, or the tests' fake). */
  hubUrl?: string;
  branch?: string;
}

/**
 * A Hugging Face dataset repository. A commit adds and deletes files in one step, so compaction is
 * atomic here. Each flush is one commit: the Hub limits commits per hour, so flush in large batches
 * (VAULT_FLUSH_ROWS / VAULT_FLUSH_INTERVAL_S) when using it.
 */
export function huggingFaceProvider(opts: HuggingFaceOptions): VaultProvider {
  const repo = { type: 'dataset' as const, name: opts.datasetId };
  const base = { repo, accessToken: opts.token, ...(opts.hubUrl ? { hubUrl: opts.hubUrl } : {}) };
  const branch = opts.branch ?? 'main';
  const where = `huggingface dataset ${opts.datasetId}@${branch}`;
  const fail = (what: string, err: unknown): VaultUnavailableError =>
    new VaultUnavailableError('huggingface', `${what} (${where}): ${(err as Error).message}`, { cause: err });

  return {
    kind: 'huggingface',
    atomicCommit: true,
    workDir: join(tmpdir(), `pleiades-vault-${process.pid}`),
    async commit(change) {
      const operations: CommitOperation[] = [];
      for (const a of change.adds)
        operations.push({ operation: 'addOrUpdate', path: a.key, content: await openAsBlob(a.path) });
      for (const key of change.deletes) operations.push({ operation: 'delete', path: key });
      try {
        await commit({ ...base, branch, title: change.message, operations });
      } catch (err) {
        // Deleting a file that is already gone fails the whole commit: retry without those deletes.
        if (change.deletes.length && err instanceof HubApiError && err.statusCode === 404) {
          const present = new Set((await this.list('')).map((o) => o.key));
          const deletes = change.deletes.filter((k) => present.has(k));
          if (deletes.length < change.deletes.length) return this.commit({ ...change, deletes });
        }
        throw fail('commit', err);
      }
    },
    async list(prefix) {
      const dir = prefix.slice(0, Math.max(0, prefix.lastIndexOf('/')));
      const out: VaultObject[] = [];
      try {
        for await (const f of listFiles({
          ...base,
          revision: branch,
          recursive: true,
          ...(dir ? { path: dir } : {}),
        }))
          if (f.type === 'file' && f.path.startsWith(prefix))
            out.push({ key: f.path, size: f.lfs?.size ?? f.size });
      } catch (err) {
        if (err instanceof HubApiError && err.statusCode === 404) return [];
        throw fail('list', err);
      }
      return out.sort((a, b) => (a.key < b.key ? -1 : 1));
    },
    async probe() {
      try {
        // The first page of the repository's tree at the branch, with the token: a missing dataset or
        // branch answers 404 and a refused token 401, even for a public dataset.
        for await (const _ of listFiles({ ...base, revision: branch })) break;
        return `listed ${where} (one tree request with the token)`;
      } catch (err) {
        throw fail('list', err);
      }
    },
    async read(key) {
      try {
        const blob = await downloadFile({ ...base, revision: branch, path: key });
        if (!blob) throw new Error('not found');
        return new Uint8Array(await blob.arrayBuffer());
      } catch (err) {
        throw fail(`read ${key}`, err);
      }
    },
    describe: () => where,
  };
}
