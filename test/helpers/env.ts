/**
 * Where tests find their services: DATABASE_URL / REDIS_URL from the environment, or the local
 * defaults. Read lazily: the global setup may point them at containers it started.
 */
export const testRedisUrl = (): string => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/1';
/** This test run's id (set by the global setup), so parallel runs on one server never collide. */
export const testRun = (): string => process.env.PLEIADES_TEST_RUN ?? 'adhoc';
export const templateDb = (): string => `pleiades_test_${testRun()}_template`;

/** The URL of database `name` on the test server (never the user's own database). */
export function databaseUrl(name: string): string {
  const u = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  u.pathname = `/${name}`;
  return u.toString();
}
