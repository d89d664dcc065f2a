import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './processes.ts';
import { freePort } from './reliability.ts';

/**
 * Redis beyond one node, started by a test on free local ports (127.0.0.1 only), from Debian's
 * redis-server, redis-cli and redis-sentinel: a Redis Cluster of three masters, or a primary, a
 * replica and three sentinels. `stop()` kills every process it started; call it from afterAll so a
 * failing test leaves nothing running.
 */

interface Proc {
  child: ChildProcess;
  port: number;
  output(): string;
}

/** Spawns a Redis (server or sentinel) and waits until it accepts connections. */
async function startRedisProcess(bin: string, args: string[], port: number): Promise<Proc> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const onData = (d: Buffer) => {
    out = (out + d).slice(-20_000);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let spawnError: Error | null = null;
  child.once('error', (err) => {
    spawnError = err; // e.g. ENOENT: the binary is not installed
  });
  const proc = { child, port, output: () => out };
  try {
    await waitFor(
      `${bin} on port ${port} to accept connections`,
      async () => {
        if (spawnError) throw new Error(`${bin} could not start: ${(spawnError as Error).message}`);
        if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode}: ${out}`);
        return /Ready to accept connections|Sentinel ID is/.test(out);
      },
      60_000,
    );
  } catch (err) {
    // Never leave a process behind: one that did not come up is killed before the error is thrown.
    await kill(proc);
    throw err;
  }
  return proc;
}

/**
 * A process on a port that was free a moment ago: another program on the machine may take it first
 * (the process then exits at once), so up to five ports are tried.
 */
async function startOnFreePort(start: (port: number) => Promise<Proc>): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}

async function kill(p: Proc | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!p || p.child.pid === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill(signal);
  await gone;
}

/** One command on one node, through a short-lived connection. */
/** A redis-server of the test's own: loopback only, in `dir`, in the foreground, persisting nothing. */
const ephemeralServer = (port: number, dir: string): string[] => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--dir',
  dir,
  '--save',
  '',
  '--appendonly',
  'no',
  '--daemonize',
  'no',
];

export async function onNode<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

export interface OwnCluster {
  ports: number[];
  /** REDIS_CLUSTER_NODES for Pleiades. */
  nodes: string;
  output(): string;
  stop(): Promise<void>;
}

/** Three masters, every slot assigned, `cluster_state:ok` on each node. */
export async function startRedisCluster(dir: string): Promise<OwnCluster> {
  const procs: Proc[] = [];
  const stop = async () => {
    for (const p of procs) await kill(p);
  };
  try {
    for (let i = 0; i < 3; i++) {
      // The cluster bus port is given too: the default (port + 10000) may be taken or above 65535.
      const busPort = await freePort();
      procs.push(
        await startOnFreePort((port) =>
          startRedisProcess(
            'redis-server',
            [
              ...ephemeralServer(port, dir),
              '--cluster-port',
              String(busPort),
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              join(dir, `nodes-${port}.conf`),
              '--cluster-node-timeout',
              '5000',
            ],
            port,
          ),
        ),
      );
    }
    const ports = procs.map((p) => p.port);
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    // Creation returns once the slots are assigned; each node agrees a little later (gossip).
    await waitFor(
      'every node to report cluster_state:ok',
      async () => {
        for (const port of ports) {
          const info = await onNode(port, (r) => r.cluster('INFO') as Promise<string>);
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_known_nodes:3')) return false;
        }
        return true;
      },
      120_000,
    );
    return {
      ports,
      nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
      output: () => procs.map((p) => `--- ${p.port}\n${p.output()}`).join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface OwnSentinelSet {
  primaryPort: number;
  replicaPort: number;
  sentinelPorts: number[];
  name: string;
  /** REDIS_SENTINELS for Pleiades. */
  sentinels: string;
  /** The port the sentinels name as the primary now. */
  currentPrimary(): Promise<number>;
  /** `SENTINEL FAILOVER`, then waits until the replica is the primary and the sentinels say so. */
  failover(): Promise<number>;
  output(): string;
  stop(): Promise<void>;
}

/** A primary, its replica, and three sentinels (quorum 2) that know both and each other. */
export async function startSentinelSet(dir: string, name = 'pleiades-primary'): Promise<OwnSentinelSet> {
  const procs: Proc[] = [];
  const stop = async () => {
    for (const p of [...procs].reverse()) await kill(p);
  };
  const server = (port: number, extra: string[] = []) =>
    startRedisProcess(
      'redis-server',
      [...ephemeralServer(port, dir), '--dbfilename', `dump-${port}.rdb`, ...extra],
      port,
    );
  try {
    const primary = await startOnFreePort((port) => server(port));
    procs.push(primary);
    const primaryPort = primary.port;
    const replica = await startOnFreePort((port) =>
      server(port, ['--replicaof', '127.0.0.1', String(primaryPort)]),
    );
    procs.push(replica);
    const replicaPort = replica.port;
    await waitFor(
      'the replica to be in sync',
      async () => /master_link_status:up/.test(await onNode(replicaPort, (r) => r.info('replication'))),
      60_000,
    );
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const sentinel = await startOnFreePort(async (port) => {
        const conf = join(dir, `sentinel-${port}.conf`);
        // Sentinel rewrites its own configuration file (it records what it learns), so one each.
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
            `sentinel down-after-milliseconds ${name} 2000`,
            `sentinel failover-timeout ${name} 20000`,
            `sentinel parallel-syncs ${name} 1`,
            '',
          ].join('\n'),
        );
        return startRedisProcess('redis-sentinel', [conf], port);
      });
      procs.push(sentinel);
      sentinelPorts.push(sentinel.port);
    }
    const sentinelSays = (port: number) =>
      onNode(port, async (r) => {
        const addr = (await r.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
        return addr ? Number(addr[1]) : 0;
      });
    // A failover needs every sentinel to know the replica and the other sentinels (hello messages).
    await waitFor(
      'the sentinels to know the replica and each other',
      async () => {
        for (const port of sentinelPorts) {
          const ok = await onNode(port, async (r) => {
            const replicas = (await r.call('SENTINEL', 'replicas', name)) as string[][];
            const others = (await r.call('SENTINEL', 'sentinels', name)) as string[][];
            return replicas.length === 1 && others.length === 2;
          });
          if (!ok) return false;
        }
        return true;
      },
      90_000,
    );
    return {
      primaryPort,
      replicaPort,
      sentinelPorts,
      name,
      sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      currentPrimary: () => sentinelSays(sentinelPorts[0]!),
      async failover() {
        const before = await sentinelSays(sentinelPorts[0]!);
        const target = before === primaryPort ? replicaPort : primaryPort;
        await waitFor(
          'a sentinel to accept SENTINEL FAILOVER',
          async () => {
            try {
              await onNode(sentinelPorts[0]!, (r) => r.call('SENTINEL', 'failover', name));
              return true;
            } catch {
              // NOGOODSLAVE while the replica's state is being refreshed: ask again.
              return false;
            }
          },
          60_000,
        );
        await waitFor(
          'the former replica to be the primary, for every sentinel',
          async () => {
            try {
              const role = await onNode(target, (r) => r.info('replication'));
              if (!role.includes('role:master')) return false;
              for (const port of sentinelPorts) if ((await sentinelSays(port)) !== target) return false;
              return true;
            } catch {
              // A connection closed by the switch itself: ask again.
              return false;
            }
          },
          90_000,
        );
        return target;
      },
      output: () => procs.map((p) => `--- ${p.port}\n${p.output()}`).join('\n'),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
