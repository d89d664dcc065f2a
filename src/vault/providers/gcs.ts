import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdempotencyStrategy, Storage } from '@google-cloud/storage';
import { VaultUnavailableError } from '../../errors/index.ts';
import type { VaultObject, VaultProvider } from '../provider.ts';

export interface GcsOptions {
  bucket: string;
  /** Prepended to every key (`research/pleiades/`, say); empty for the bucket root. */
  prefix: string;
  /** Another endpoint (an emulator, or the tests' fake); credentials are then not used. */
  apiEndpoint?: string;
  /** Service-account key file; otherwise Application Default Credentials. */
  keyFilename?: string;
  /** Library-level retries per request before the flush job's own backoff takes over. */
  maxRetries?: number;
}

/**
 * Google Cloud Storage. Every upload is a single-request (multipart) upload, which GCS publishes
 * atomically once complete, with a CRC32C the service checks. GCS cannot change several objects in
 * one step, so `commit` uploads first and deletes after (see docs/dataset.md, compaction).
 */
export function gcsProvider(opts: GcsOptions): VaultProvider {
  const storage = new Storage({
    ...(opts.apiEndpoint ? { apiEndpoint: opts.apiEndpoint, projectId: 'pleiades' } : {}),
    ...(opts.keyFilename ? { keyFilename: opts.keyFilename } : {}),
    retryOptions: {
      // The library reads maxRetries 0 as "default": switch retries off instead.
      autoRetry: opts.maxRetries !== 0,
      maxRetries: opts.maxRetries || 3,
      maxRetryDelay: 16,
      totalTimeout: 120,
      // Our writes are idempotent (same name, same content; deleting a missing object is fine).
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
  });
  const bucket = storage.bucket(opts.bucket);
  const prefix = opts.prefix && !opts.prefix.endsWith('/') ? `${opts.prefix}/` : opts.prefix;
  const where = `gs://${opts.bucket}/${prefix}`;
  const fail = (what: string, err: unknown): VaultUnavailableError =>
    new VaultUnavailableError('gcs', `${what} (${where}): ${(err as Error).message}`, { cause: err });
  const notFound = (err: unknown): boolean => (err as { code?: number }).code === 404;

  return {
    kind: 'gcs',
    atomicCommit: false,
    workDir: join(tmpdir(), `pleiades-vault-${process.pid}`),
    async commit(change) {
      for (const a of change.adds) {
        try {
          await bucket.upload(a.path, {
            destination: prefix + a.key,
            resumable: false,
            validation: 'crc32c',
            metadata: { contentType: 'application/vnd.apache.parquet' },
          });
        } catch (err) {
          throw fail(`upload ${a.key}`, err);
        }
      }
      for (const key of change.deletes) {
        try {
          await bucket.file(prefix + key).delete();
        } catch (err) {
          if (!notFound(err)) throw fail(`delete ${key}`, err);
        }
      }
    },
    async list(p) {
      try {
        const [files] = await bucket.getFiles({ prefix: prefix + p, autoPaginate: true });
        return files
          .map((f): VaultObject => ({ key: f.name.slice(prefix.length), size: Number(f.metadata.size ?? 0) }))
          .sort((a, b) => (a.key < b.key ? -1 : 1));
      } catch (err) {
        throw fail('list', err);
      }
    },
    async probe() {
      try {
        // objects.list, one page of at most one object: needs storage.objects.list on the bucket,
        // and a missing bucket or a refused credential fails here (404, 401/403).
        await bucket.getFiles({ prefix, maxResults: 1, autoPaginate: false });
        return `listed ${where} (one objects.list request)`;
      } catch (err) {
        throw fail('list', err);
      }
    },
    async read(key) {
      try {
        const [buf] = await bucket.file(prefix + key).download();
        return new Uint8Array(buf);
      } catch (err) {
        throw fail(`read ${key}`, err);
      }
    },
    describe: () => where,
  };
}
