/**
 * Where the vault's files live. Keys are slash-separated paths relative to the vault root, such as
 * `metrics/dt=2026-11-25/part-0000000000000001-0000000000050000.parquet`.
 */
export interface VaultObject {
  key: string;
  size: number;
}

export interface VaultChange {
  /** Local files to publish under these keys (overwriting a file of the same key). */
  adds: { key: string; path: string }[];
  /** Keys to remove; a key that is already gone is not an error. */
  deletes: string[];
  /** Why (a commit message where the provider keeps history). */
  message: string;
}

export interface VaultProvider {
  readonly kind: 'local' | 'gcs' | 'huggingface';
  /**
   * True when `commit` makes its adds and deletes visible in one step: a reader listing the vault sees
   * either the state before or the state after. Otherwise adds are published first, then deletes.
   */
  readonly atomicCommit: boolean;
  /** A directory for files being written before `commit` (on the same disk as the vault, for local). */
  readonly workDir: string;
  /** Publishes `adds` and removes `deletes`; resolves only once the storage confirmed both. */
  commit(change: VaultChange): Promise<void>;
  /** Every file whose key starts with `prefix`. */
  list(prefix: string): Promise<VaultObject[]>;
  read(key: string): Promise<Uint8Array>;
  /**
   * Opens one file for reads of byte ranges (footer, then the row groups a query needs) instead of
   * the whole file; providers without it are read whole (src/vault/reader.ts).
   */
  openRange?(key: string): Promise<RangeFile>;
  /** Where the files are, without any secret (for logs and the dashboard). */
  describe(): string;
  /**
   * One cheap authenticated request that proves the storage is reachable with these credentials
   * (`pleiades doctor`); resolves with what was checked, or throws VaultUnavailableError.
   */
  probe(): Promise<string>;
}

/** A file opened for ranged reads; `close` releases it. */
export interface RangeFile {
  size: number;
  read(start: number, end: number): Promise<ArrayBuffer>;
  close(): Promise<void>;
}

/** The dataset a key belongs to: its first path segment (`metrics` or `videos`). */
export const datasetOf = (key: string): string => key.split('/', 1)[0]!;
