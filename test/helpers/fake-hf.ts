import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Hugging Face Hub implementing what committing to and reading from a dataset repository
 * needs, per the Hub's documented HTTP API: `preupload` (which files go to LFS), the Git LFS batch API
 * with the `basic` transfer (upload URL per object, content checked against its sha256), `commit`
 * (NDJSON: header, lfsFile, file, deletedFile — applied all or nothing), `tree` (paginated with a
 * Link header) and `resolve` (with Range requests). Every call must carry the configured token.
 * `failing` makes every request answer 503, as during an outage.
 */
export interface FakeHf {
  url: string;
  /** Files of the repository's main branch: path → content. */
  files: Map<string, Buffer>;
  commits: { summary: string; operations: number }[];
  failing: boolean;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

const PAGE = 4;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function startFakeHf(opts: { repo: string; token: string }): Promise<FakeHf> {
  const files = new Map<string, Buffer>();
  const lfs = new Map<string, Buffer>(); // oid → content
  const lfsPaths = new Set<string>();
  const state: FakeHf = { url: '', files, commits: [], failing: false, requests: [], close: async () => {} };
  const repo = opts.repo;

  const json = (res: ServerResponse, status: number, o: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(o));
  };
  const error = (res: ServerResponse, status: number, message: string, code?: string) =>
    json(res, status, { error: message }, code ? { 'x-error-code': code } : {});

  const server = createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(u.pathname);
    state.requests.push({ method: req.method ?? '', path });
    const body = await readBody(req);
    if (state.failing) return error(res, 503, 'Service Unavailable');
    // The upload URL handed out by the LFS batch answer is pre-signed: no token on it.
    const upload = /^\/lfs-upload\/([0-9a-f]{64})$/.exec(path);
    if (upload && req.method === 'PUT') {
      if (sha256(body) !== upload[1]) return error(res, 400, 'content does not match its oid');
      lfs.set(upload[1]!, body);
      res.writeHead(200).end();
      return;
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) return error(res, 401, 'Invalid credentials');

    if (req.method === 'POST' && path === `/api/datasets/${repo}/preupload/main`) {
      const p = JSON.parse(body.toString()) as { files: { path: string; size: number }[] };
      return json(res, 200, {
        files: p.files.map((f) => ({
          path: f.path,
          uploadMode: f.path.endsWith('.parquet') ? 'lfs' : 'regular',
        })),
      });
    }
    if (req.method === 'POST' && path === `/datasets/${repo}.git/info/lfs/objects/batch`) {
      const p = JSON.parse(body.toString()) as {
        operation: string;
        objects: { oid: string; size: number }[];
      };
      if (p.operation !== 'upload') return error(res, 422, 'only uploads are supported');
      return json(
        res,
        200,
        {
          transfer: 'basic',
          objects: p.objects.map((o) =>
            lfs.has(o.oid)
              ? { oid: o.oid, size: o.size }
              : {
                  oid: o.oid,
                  size: o.size,
                  actions: { upload: { href: `${state.url}/lfs-upload/${o.oid}`, expires_in: 3600 } },
                },
          ),
        },
        { 'content-type': 'application/vnd.git-lfs+json' },
      );
    }
    if (req.method === 'POST' && path === `/api/datasets/${repo}/commit/main`) {
      const lines = body
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { key: string; value: Record<string, string> });
      const header = lines.find((l) => l.key === 'header');
      if (!header) return error(res, 400, 'commit without a header');
      // Validate everything first: a commit applies entirely or not at all.
      const next = new Map(files);
      const nextLfs = new Set(lfsPaths);
      for (const { key, value } of lines) {
        if (key === 'lfsFile') {
          const content = lfs.get(value.oid!);
          if (!content) return error(res, 422, `LFS object ${value.oid} was not uploaded`);
          next.set(value.path!, content);
          nextLfs.add(value.path!);
        } else if (key === 'file') {
          next.set(value.path!, Buffer.from(value.content!, 'base64'));
          nextLfs.delete(value.path!);
        } else if (key === 'deletedFile') {
          if (!next.delete(value.path!))
            return error(res, 404, `File not found: ${value.path}`, 'EntryNotFound');
          nextLfs.delete(value.path!);
        }
      }
      files.clear();
      for (const [k, v] of next) files.set(k, v);
      lfsPaths.clear();
      for (const p of nextLfs) lfsPaths.add(p);
      state.commits.push({ summary: header.value.summary ?? '', operations: lines.length - 1 });
      const oid = sha256(Buffer.from(String(state.commits.length))).slice(0, 40);
      return json(res, 200, {
        success: true,
        commitOid: oid,
        commitUrl: `${state.url}/datasets/${repo}/commit/${oid}`,
      });
    }
    const tree = new RegExp(`^/api/datasets/${repo}/tree/main(?:/(.*))?$`).exec(path);
    if (req.method === 'GET' && tree) {
      const dir = tree[1] ?? '';
      const recursive = u.searchParams.get('recursive') === 'true';
      const under = [...files.keys()].filter((p) => !dir || p.startsWith(`${dir}/`)).sort();
      if (dir && under.length === 0) return error(res, 404, `Entry not found: ${dir}`, 'EntryNotFound');
      const entries: Record<string, unknown>[] = [];
      const dirs = new Set<string>();
      for (const p of under) {
        const rel = dir ? p.slice(dir.length + 1) : p;
        const segs = rel.split('/');
        for (let i = 1; i < segs.length; i++) {
          const d = [dir, ...segs.slice(0, i)].filter(Boolean).join('/');
          if (!recursive && i > 1) break;
          if (!dirs.has(d)) {
            dirs.add(d);
            entries.push({ type: 'directory', path: d, size: 0, oid: sha256(Buffer.from(d)).slice(0, 40) });
          }
        }
        if (!recursive && segs.length > 1) continue;
        const content = files.get(p)!;
        const oid = sha256(content);
        entries.push({
          type: 'file',
          path: p,
          size: lfsPaths.has(p) ? content.length : content.length,
          oid: oid.slice(0, 40),
          ...(lfsPaths.has(p) ? { lfs: { oid, size: content.length, pointerSize: 134 } } : {}),
        });
      }
      const from = Number(u.searchParams.get('cursor') ?? '0');
      const page = entries.slice(from, from + PAGE);
      const headers: Record<string, string> = {};
      if (from + PAGE < entries.length) {
        const nextUrl = new URL(`${state.url}${u.pathname}${u.search}`);
        nextUrl.searchParams.set('cursor', String(from + PAGE));
        headers.link = `<${nextUrl}>; rel="next"`;
      }
      return json(res, 200, page, headers);
    }
    const resolve = new RegExp(`^/datasets/${repo}/resolve/main/(.+)$`).exec(path);
    if (req.method === 'GET' && resolve) {
      const content = files.get(resolve[1]!);
      if (!content) return error(res, 404, 'Entry not found', 'EntryNotFound');
      const etag = `"${sha256(content)}"`;
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
        res.writeHead(206, {
          'content-type': 'application/octet-stream',
          'content-range': `bytes ${start}-${end}/${content.length}`,
          'content-length': String(end - start + 1),
          'accept-ranges': 'bytes',
          etag,
        });
        res.end(content.subarray(start, end + 1));
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(content.length),
        etag,
      });
      res.end(content);
      return;
    }
    error(res, 404, `fake-hf: no route for ${req.method} ${path}`);
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
