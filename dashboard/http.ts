import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from '../src/errors/index.ts';
import type { Logger } from '../src/log.ts';

/** Every error answer has one shape: what went wrong, and which field. */
export interface ErrorBody {
  error: string;
  details: { field: string; message: string }[];
}

export const BODY_LIMIT_BYTES = 100 * 1024;

export function sendError(res: Response, status: number, error: string, details: ErrorBody['details']): void {
  res.status(status).json({ error, details } satisfies ErrorBody);
}

/** Parses with a zod schema; a failure becomes a ValidationError naming each field. */
export function parseWith<S extends z.ZodType>(schema: S, data: unknown, root = 'body'): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  // An empty key ({"": 1}) is named too, as "": a field name is never empty.
  const field = (path: PropertyKey[]) =>
    path.length ? path.map((p) => (p === '' ? '""' : String(p))).join('.') : root;
  throw new ValidationError(
    r.error.issues.flatMap((i) =>
      // A refused extra field is named itself, not its parent object.
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({ field: field([...i.path, k]), message: 'unknown field' }))
        : [{ field: field(i.path), message: i.message }],
    ),
  );
}

/**
 * body-parser decodes malformed UTF-8 to U+FFFD, so a query would be stored as something else than
 * was sent: a UTF-8 body (the default charset) must be valid UTF-8, or the request is refused.
 */
export function refuseInvalidUtf8(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  const charset = /charset=([^;]+)/i
    .exec(req.headers['content-type'] ?? '')?.[1]
    ?.trim()
    .toLowerCase();
  if ((charset === undefined || charset === 'utf-8' || charset === 'utf8') && !isUtf8(buf))
    throw Object.assign(new Error('the body is not valid UTF-8'), { status: 400, type: 'encoding.invalid' });
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof ValidationError) return sendError(res, 400, 'invalid request', err.details);
    if (err instanceof NotFoundError) return sendError(res, 404, 'not found', err.details);
    const e = err as BodyParserError;
    switch (e.type) {
      case 'entity.too.large':
        return sendError(res, 413, 'request body too large', [
          { field: 'body', message: `at most ${e.limit ?? BODY_LIMIT_BYTES} bytes` },
        ]);
      case 'encoding.invalid':
        return sendError(res, 400, 'invalid request', [{ field: 'body', message: 'not valid UTF-8' }]);
      case 'entity.parse.failed':
        return sendError(res, 400, 'invalid request', [{ field: 'body', message: 'malformed JSON' }]);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendError(res, 415, 'unsupported encoding', [
          { field: 'content-type', message: 'send UTF-8 JSON' },
        ]);
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
      return sendError(res, e.status, 'invalid request', [{ field: 'body', message: String(err.message) }]);
    log.error({ err, path: req.path }, 'dashboard request failed');
    sendError(res, 500, 'internal error', []);
  };
}
