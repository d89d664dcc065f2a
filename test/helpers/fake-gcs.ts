import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Cloud Storage server implementing the few JSON API endpoints the vault uses, as documented
 * (cloud.google.com/storage/docs/json_api/v1/objects): multipart upload (`POST /upload/storage/v1/b/
 * {bucket}/o?uploadType=multipart`), list (`GET /storage/v1/b/{bucket}/o?prefix=&pageToken=`), get
 * with `alt=media` (content, with `x-goog-hash`), and delete. `failing` makes every request answer
 * 503, as during an outage.
 */
export interface FakeGcs {
  url: string;
  /** `bucket/name` → content. */
  objects: Map<string, Buffer>;
  failing: boolean;
  requests: { method: string; path: string; auth: string | undefined }[];
  close(): Promise<void>;
}

/** The list page size; small so that the client's pagination is exercised. */
const PAGE = 3;

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C (Castagnoli) as GCS reports it: base64 of the big-endian 32-bit value. */
export function crc32cBase64(buf: Buffer): string {
  let c = 0xffffffff;
  for (const b of buf) c = CRC32C_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

const md5Base64 = (buf: Buffer) => createHash('md5').update(buf).digest('base64');

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Splits a multipart/related body into its parts' (headers, content). */
function multipart(buf: Buffer, boundary: string): { headers: string; content: Buffer }[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: { headers: string; content: Buffer }[] = [];
  let pos = buf.indexOf(delim);
  while (pos !== -1) {
    const start = pos + delim.length;
    if (buf.subarray(start, start + 2).toString() === '--') break;
    const next = buf.indexOf(delim, start);
    if (next === -1) break;
    const part = buf.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const sep = part.indexOf('\r\n\r\n');
    parts.push({ headers: part.subarray(0, sep).toString(), content: part.subarray(sep + 4) });
    pos = next;
  }
  return parts;
}

/** `buckets`: the buckets that exist (listing another answers 404, as GCS does); default any. */
export async function startFakeGcs(opts: { buckets?: string[] } = {}): Promise<FakeGcs> {
  const objects = new Map<string, Buffer>();
  const generations = new Map<string, number>();
  let gen = 1;
  const state: FakeGcs = {
    url: '',
    objects,
    failing: false,
    requests: [],
    close: async () => {},
  };

  const resource = (bucket: string, name: string) => {
    const data = objects.get(`${bucket}/${name}`)!;
    return {
      kind: 'storage#object',
      id: `${bucket}/${name}/${generations.get(`${bucket}/${name}`)}`,
      name,
      bucket,
      generation: String(generations.get(`${bucket}/${name}`)),
      metageneration: '1',
      contentType: 'application/octet-stream',
      size: String(data.length),
      md5Hash: md5Base64(data),
      crc32c: crc32cBase64(data),
      timeCreated: new Date().toISOString(),
      updated: new Date().toISOString(),
    };
  };
  const json = (res: ServerResponse, status: number, o: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(o));
  };
  const error = (res: ServerResponse, status: number, message: string) =>
    json(res, status, { error: { code: status, message, errors: [{ message, reason: 'backendError' }] } });

  const server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    state.requests.push({ method: req.method ?? '', path: u.pathname, auth: req.headers.authorization });
    const raw = await body(req);
    if (state.failing) return error(res, 503, 'Service Unavailable');
    let m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(u.pathname);
    if (m && req.method === 'POST') {
      const bucket = decodeURIComponent(m[1]!);
      let name = u.searchParams.get('name');
      let data = raw;
      if (u.searchParams.get('uploadType') === 'multipart') {
        const boundary = /boundary="?([^";]+)"?/.exec(req.headers['content-type'] ?? '')?.[1];
        if (!boundary) return error(res, 400, 'multipart upload without a boundary');
        const [meta, media] = multipart(raw, boundary);
        if (!meta || !media) return error(res, 400, 'multipart upload needs metadata and media');
        name = (JSON.parse(meta.content.toString()) as { name?: string }).name ?? name;
        data = media.content;
      } else if (u.searchParams.get('uploadType') !== 'media')
        return error(res, 400, 'unsupported uploadType');
      if (!name) return error(res, 400, 'Required: name');
      objects.set(`${bucket}/${name}`, Buffer.from(data));
      generations.set(`${bucket}/${name}`, gen++);
      return json(res, 200, resource(bucket, name));
    }
    m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(u.pathname);
    if (m && req.method === 'GET') {
      const bucket = decodeURIComponent(m[1]!);
      if (opts.buckets && !opts.buckets.includes(bucket))
        return error(res, 404, 'The specified bucket does not exist.');
      const prefix = u.searchParams.get('prefix') ?? '';
      const names = [...objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/${prefix}`))
        .map((k) => k.slice(bucket.length + 1))
        .sort();
      const from = Number(u.searchParams.get('pageToken') ?? '0');
      const page = names.slice(from, from + PAGE);
      return json(res, 200, {
        kind: 'storage#objects',
        items: page.map((n) => resource(bucket, n)),
        ...(from + PAGE < names.length ? { nextPageToken: String(from + PAGE) } : {}),
      });
    }
    m = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(u.pathname);
    if (m) {
      const bucket = decodeURIComponent(m[1]!);
      const name = decodeURIComponent(m[2]!);
      const data = objects.get(`${bucket}/${name}`);
      if (!data) return error(res, 404, `No such object: ${bucket}/${name}`);
      if (req.method === 'DELETE') {
        objects.delete(`${bucket}/${name}`);
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'GET' && u.searchParams.get('alt') === 'media') {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(data.length),
          'x-goog-hash': `crc32c=${crc32cBase64(data)},md5=${md5Base64(data)}`,
          'x-goog-stored-content-length': String(data.length),
          'x-goog-generation': String(generations.get(`${bucket}/${name}`)),
        });
        res.end(data);
        return;
      }
      if (req.method === 'GET') return json(res, 200, resource(bucket, name));
    }
    error(res, 404, `fake-gcs: no route for ${req.method} ${u.pathname}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
