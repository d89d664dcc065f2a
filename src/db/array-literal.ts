/**
 * Postgres array literals (text) for the tracker's per-job statements. node-postgres turns a JS array
 * parameter into one by quoting and escaping every element (two regular expressions each) and
 * hex-encodes each Buffer with a native call: thousands of calls per job. Numbers, bigints, booleans,
 * timestamps and 4-byte words need no quoting, so these join them directly. Postgres parses the text
 * with the parameter's declared type (`$1::bigint[]`…): the same values arrive.
 */

/** Integers (number or bigint) and NULLs: `{1,-2,NULL}`. */
export function intArray(values: readonly (number | bigint | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += `${i ? ',' : ''}${v === null || v === undefined ? 'NULL' : String(v)}`;
  }
  return `${out}}`;
}

export function boolArray(values: readonly boolean[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += `${i ? ',' : ''}${values[i] ? 't' : 'f'}`;
  return `${out}}`;
}

/** Epoch milliseconds as UTC ISO timestamps (timestamptz[]), NULLs kept. */
export function timestampArray(values: readonly (number | null)[]): string {
  let out = '{';
  // A job's rows mostly share one time (the poll's): formatted once.
  let last = Number.NaN;
  let iso = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined && v !== last) {
      last = v;
      iso = new Date(v).toISOString();
    }
    out += `${i ? ',' : ''}${v === null || v === undefined ? 'NULL' : iso}`;
  }
  return `${out}}`;
}

/** Unsigned 32-bit words as 4-byte bytea values, NULLs kept: `{"\\x8000002a",NULL}`. */
export function word32ByteaArray(values: readonly (number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += `${i ? ',' : ''}${v === null || v === undefined ? 'NULL' : `"\\\\x${v.toString(16).padStart(8, '0')}"`}`;
  }
  return `${out}}`;
}
