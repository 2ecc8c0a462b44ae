import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type ChildHub, auth, freePort, startChildHub } from '../helpers/child-hub.js';
import { dropSchema, freshSchema, testDatabaseUrl, urlForSchema } from '../helpers/pg.js';

export { auth };

/** The database the cluster suite runs on (it needs PostgreSQL; CI fails rather than skips without it). */
export function clusterDatabaseUrl(): string {
  const url = testDatabaseUrl();
  if (!url) throw new Error('The cluster suite needs PostgreSQL: set HEROLD_TEST_DATABASE_URL=postgres://...');
  return url;
}

/**
 * A TCP proxy between the nodes and PostgreSQL: `down()` cuts every
 * connection and refuses new ones, as a database restart looks to the nodes;
 * `up()` lets them in again.
 */
export class PgProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static async start(url: string): Promise<PgProxy> {
    const u = new URL(url);
    const proxy = new PgProxy(u.hostname || '127.0.0.1', Number(u.port || 5432));
    proxy.port = await freePort();
    await proxy.up();
    return proxy;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) {
      server.close();
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    }
  }

  /** The database URL with host and port pointing at the proxy. */
  url(base: string): string {
    const u = new URL(base);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}

/** Stop and start the real PostgreSQL server (pg_ctlcluster). */
export const realPostgres = {
  cluster(): [string, string] {
    const version = readdirSync('/etc/postgresql').sort().at(-1)!;
    return [version, 'main'];
  },
  stop(): void {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', ...this.cluster(), 'stop', '-m', 'fast'], { stdio: 'ignore' });
  },
  start(): void {
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', ...this.cluster(), 'start'], { stdio: 'ignore' });
  },
};

/** Three (or n) real `herold serve` processes on one PostgreSQL schema. */
export class Cluster {
  readonly nodes: (ChildHub | null)[] = [];
  readonly ports: number[] = [];
  readonly dirs: string[] = [];
  readonly schema = freshSchema('herold_k');
  readonly databaseUrl: string;
  private admin: pg.Pool | null = null;

  constructor(
    base: string,
    private readonly env: Record<string, string> = {},
  ) {
    this.databaseUrl = urlForSchema(base, this.schema);
  }

  static async start(n: number, env: Record<string, string> = {}, base = clusterDatabaseUrl()): Promise<Cluster> {
    const cluster = new Cluster(base, env);
    // Start them at the same moment: migrations must be safe when nodes start together.
    for (let i = 0; i < n; i++) {
      cluster.ports.push(await freePort());
      cluster.dirs.push(mkdtempSync(join(tmpdir(), `herold-cluster-${i}-`)));
      cluster.nodes.push(null);
    }
    await Promise.all(cluster.nodes.map((_, i) => cluster.startNode(i)));
    return cluster;
  }

  async startNode(i: number): Promise<ChildHub> {
    if (i >= this.nodes.length) {
      this.ports.push(await freePort());
      this.dirs.push(mkdtempSync(join(tmpdir(), `herold-cluster-${i}-`)));
      this.nodes.push(null);
    }
    const node = await startChildHub(this.dirs[i], this.ports[i], {
      HEROLD_DATABASE_URL: this.databaseUrl,
      HEROLD_EGRESS_ALLOW: '127.0.0.0/8',
      HEROLD_PUBLISH_RATE: '0',
      HEROLD_READ_RATE: '0',
      ...this.env,
    });
    this.nodes[i] = node;
    return node;
  }

  url(i: number): string {
    return `http://127.0.0.1:${this.ports[i]}`;
  }

  /** kill -9 */
  async kill(i: number): Promise<void> {
    await this.nodes[i]?.kill('SIGKILL');
    this.nodes[i] = null;
  }

  /** Direct SQL on the cluster's schema (to look at leases). */
  async sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    if (!this.admin) {
      this.admin = new pg.Pool({ connectionString: this.databaseUrl, max: 2 });
      this.admin.on('error', () => undefined);
    }
    return (await this.admin.query<R>(text, values)).rows;
  }

  async close(): Promise<void> {
    // A node that died on its own: show why.
    for (const [i, n] of this.nodes.entries()) {
      if (n && n.process.exitCode !== null) console.error(`cluster node ${i} exited with ${n.process.exitCode}:\n${n.output().slice(-4000)}`);
    }
    await Promise.all(this.nodes.map((n) => n?.kill('SIGTERM').catch(() => undefined)));
    await this.admin?.end().catch(() => undefined);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    await dropSchema(this.schema);
  }
}

export async function json(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Page through a list with `after` until it has `total` events or the deadline passes. */
export async function readAll(url: string, list: string, total: number, limit = 1000, deadlineMs = 60_000): Promise<{ seq: number; id: string; source: string }[]> {
  const seen: { seq: number; id: string; source: string }[] = [];
  let after = '0';
  const deadline = Date.now() + deadlineMs;
  while (seen.length < total && Date.now() < deadline) {
    const body = await json(await fetch(`${url}/lists/${list}/events?after=${after}&limit=${limit}`, { headers: auth }));
    for (const e of body.events) seen.push({ seq: Number(e.heroldseq), id: e.id, source: e.source });
    after = body.next;
    if (body.events.length === 0) await sleep(20);
  }
  return seen;
}
