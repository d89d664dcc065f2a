import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/**
 * One GET of a JSON answer over node:http(s), for the YouTube client. Node's own request is a third of
 * the CPU of the googleapis stack it replaces (gaxios, node-fetch, qs, extend: bench/simulator.ts
 * measures both), and CPU is what a tracker worker spends per video. What that stack did for us is
 * kept here: one deadline for the whole request, a bound on the body read, reused connections, and
 * HTTP(S)_PROXY / NO_PROXY from the environment. Nothing is retried: Hydra owns retries.
 */

/** The server answered; `data` is its JSON body, or undefined when the body is not JSON. */
export interface HttpAnswer {
  status: number;
  data: unknown;
}

/** The body passed `maxBytes` while it was read (after decoding); the request was aborted. */
export class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError';
}

/** No whole answer within the deadline; the request was aborted. */
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
}

export interface HttpGetOptions {
  timeoutMs: number;
  maxBytes: number;
}

export type HttpGet = (url: URL) => Promise<HttpAnswer>;

export function createHttpGet(opts: HttpGetOptions): HttpGet {
  // Node's env-proxy support reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY as curl does (and as gaxios did).
  const transports = {
    'http:': { send: httpRequest, agent: new HttpAgent({ keepAlive: true, proxyEnv: process.env }) },
    'https:': { send: httpsRequest, agent: new HttpsAgent({ keepAlive: true, proxyEnv: process.env }) },
  };
  return (url) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const transport = transports[url.protocol as keyof typeof transports];
      if (!transport) {
        reject(new Error(`unsupported protocol ${url.protocol}`));
        return;
      }
      const { send, agent } = transport;
      const req = send(url, { agent, headers: { accept: 'application/json' } }, (res) => {
        readBody(res, opts.maxBytes).then(
          (text) => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, data: parseJson(text) });
          },
          (err: Error) => {
            clearTimeout(timer);
            req.destroy();
            reject(err);
          },
        );
      });
      const timer = setTimeout(
        () => req.destroy(new RequestTimeoutError(`no answer within ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end();
    });
}

/** The body as text, decoded if the server compressed it, refused past `maxBytes`. */
function readBody(res: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers['content-length']);
    if (declared > maxBytes) {
      res.destroy();
      reject(new AnswerTooLargeError(`over ${maxBytes} bytes`));
      return;
    }
    const stream = decoded(res);
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stream.destroy();
        res.destroy();
        reject(new AnswerTooLargeError(`over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () =>
      resolve(
        chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8'),
      ),
    );
    // A connection cut mid-body is an 'error' of the response (ECONNRESET), passed on by `decoded`.
    stream.on('error', reject);
  });
}

/** We ask for no encoding; a proxy or server that compresses anyway is still understood. */
function decoded(res: IncomingMessage): Readable {
  const enc = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  const inflate =
    enc === 'gzip' || enc === 'x-gzip'
      ? createGunzip()
      : enc === 'deflate'
        ? createInflate()
        : enc === 'br'
          ? createBrotliDecompress()
          : null;
  if (!inflate) return res;
  res.on('error', (e) => inflate.destroy(e));
  return res.pipe(inflate);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
