/**
 * Every error the system raises on purpose, each a small named class. `cause` keeps the original error.
 */
export class PleiadesError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One or more environment variables are malformed; `issues` has one line per variable. */
export class ConfigError extends PleiadesError {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid configuration:\n${issues.map((l) => `  ${l}`).join('\n')}`);
    this.issues = issues;
  }
}

export class DatabaseError extends PleiadesError {}

/** The database holds migrations this code does not know: it is newer than the code. */
export class SchemaTooNewError extends PleiadesError {}

/** Input from a person or a client (CLI, HTTP) that is not acceptable; `field` names what is wrong. */
export class ValidationError extends PleiadesError {
  readonly details: { field: string; message: string }[];
  constructor(details: { field: string; message: string }[]) {
    super(details.map((d) => `${d.field}: ${d.message}`).join('; '));
    this.details = details;
  }
}

/** A YouTube response that does not have the documented shape. */
export class MalformedResponseError extends PleiadesError {}

/** YouTube answered with an error; `reason` is its first error reason (quotaExceeded, keyInvalid…). */
export class YouTubeApiError extends PleiadesError {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }
}

/** Every key of a pool is spent (or disabled) for this bucket until `resetAt` (ms since epoch). */
export class AllKeysExhaustedError extends PleiadesError {
  readonly pool: string;
  readonly bucket: string;
  readonly resetAt: number;
  constructor(pool: string, bucket: string, resetAt: number) {
    super(`every key of pool "${pool}" is spent for ${bucket} until ${new Date(resetAt).toISOString()}`);
    this.pool = pool;
    this.bucket = bucket;
    this.resetAt = resetAt;
  }
}

export class VaultError extends PleiadesError {}

/** The vault's storage (disk, Cloud Storage, the Hub) refused or did not answer; the flush is retried. */
export class VaultUnavailableError extends VaultError {
  readonly provider: string;
  constructor(provider: string, message: string, options?: { cause?: unknown }) {
    super(`vault provider ${provider}: ${message}`, options);
    this.provider = provider;
  }
}

/** Another flush or compaction holds the vault lock. */
export class VaultBusyError extends VaultError {}

/** The events bus (pg-boss) cannot start or publish: its schema is missing, or Postgres refused. */
export class EventBusError extends PleiadesError {}

/** Something a client asked for does not exist (an unknown queue, say); `details` names it like ValidationError. */
export class NotFoundError extends PleiadesError {
  readonly details: { field: string; message: string }[];
  constructor(details: { field: string; message: string }[]) {
    super(details.map((d) => `${d.field}: ${d.message}`).join('; '));
    this.details = details;
  }
}

/** The dashboard would be reachable from the network without any credential configured. */
export class InsecureDashboardError extends PleiadesError {}

/**
 * A WebSub request Pleiades refuses: a notification without a valid HMAC signature (403), a malformed
 * Atom feed (400), a topic it does not follow (404). Nothing is stored.
 */
export class WebSubRejectedError extends PleiadesError {
  readonly status: 400 | 403 | 404 | 413 | 415;
  constructor(status: 400 | 403 | 404 | 413 | 415, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** The WebSub hub refused a subscription request (or could not be reached). */
export class WebSubHubError extends PleiadesError {}
