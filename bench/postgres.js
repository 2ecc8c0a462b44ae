// PostgreSQL figures side by side with SQLite: batched ingest, NDJSON read and
// webhook delivery, for SQLite, PostgreSQL with one node and PostgreSQL with two
// nodes (two hub processes on one database, the load split between them).
//
//   import { postgresBench } from './postgres.js';
//   const result = await postgresBench({ quick: false });
//
// or on its own: `node bench/postgres.js [--quick] [--only ingest,read,delivery] [--configs postgres_1_node,...]`
// (after `npm run build`); progress on stderr, one JSON document on stdout.
//
// Each configuration gets fresh state: SQLite a new data directory, PostgreSQL a
// new schema (search_path in the URL), dropped afterwards. The database URL comes
// from HEROLD_BENCH_DATABASE_URL, else HEROLD_TEST_DATABASE_URL, else the local
// server (postgres://postgres@127.0.0.1:5432/test).
import { createServer } from 'node:http';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { agent, post } from './lib/http.js';
import { batchJson, EVENT_BYTES } from './lib/events.js';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { log, round, sleep } from './lib/util.js';
import { runWorker } from './lib/worker.js';

export const POSTGRES_TARGETS = {
  ingest: { eventsPerSecond: 30_000, text: 'batched ingest on PostgreSQL >= 30,000 events/s (durable: synchronous_commit on)' },
};

const CONFIGS = [
  { name: 'sqlite', backend: 'sqlite', nodes: 1 },
  { name: 'postgres_1_node', backend: 'postgres', nodes: 1 },
  { name: 'postgres_2_nodes', backend: 'postgres', nodes: 2 },
];

function sizes(quick) {
  return quick
    ? {
        ingest: { publishersPerNode: 4, batchSize: 1000, warmupMs: 1000, durationMs: 3000 },
        read: { events: 100_000 },
        delivery: { subscriptions: 20, events: 1000 },
      }
    : {
        ingest: { publishersPerNode: 4, batchSize: 1000, warmupMs: 3000, durationMs: 15_000 },
        read: { events: 500_000 },
        delivery: { subscriptions: 50, events: 4000 },
      };
}

function databaseUrl(explicit) {
  return explicit ?? process.env.HEROLD_BENCH_DATABASE_URL ?? process.env.HEROLD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

function schemaUrl(base, schema) {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** One configuration's hubs (1 or 2 processes), started with the right store, and torn down. */
async function withNodes(config, base, label, fn, extraEnv = {}) {
  const schema = `herold_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = config.backend === 'postgres' ? schemaUrl(base, schema) : undefined;
  const saved = { ...process.env };
  // bench/lib/hub.js starts `herold serve` with this process's environment.
  if (url) process.env.HEROLD_DATABASE_URL = url;
  else delete process.env.HEROLD_DATABASE_URL;
  Object.assign(process.env, { HEROLD_PUBLISH_RATE: '0', HEROLD_READ_RATE: '0', ...extraEnv });
  const hubs = [];
  try {
    // The first node creates the schema and applies the migrations; the second joins it.
    hubs.push(await Hub.start({ sync: 'full', label: `${label}#1` }));
    for (let i = 1; i < config.nodes; i++) hubs.push(await Hub.start({ sync: 'full', label: `${label}#${i + 1}` }));
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  try {
    return await fn(hubs, url);
  } finally {
    await Promise.all(hubs.map((h) => h.stop().catch(() => undefined)));
    if (url) {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await c.end();
    }
  }
}

const common = (hub) => ({ url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid });

/** Batched ingest: publishers on every node at once; events acknowledged per second, summed. */
async function ingest(config, base, S) {
  return withNodes(config, base, `ingest/${config.name}`, async (hubs) => {
    await hubs[0].createList('bench');
    const p = S.ingest;
    const parts = await Promise.all(
      hubs.map((hub) => runWorker('ingest', { ...common(hub), publishers: p.publishersPerNode, batchSize: p.batchSize, warmupMs: p.warmupMs, durationMs: p.durationMs })),
    );
    const eventsPerSecond = round(parts.reduce((n, r) => n + r.eventsPerSecond, 0));
    const problems = parts.flatMap((r, i) => problemsOf(`node ${i + 1}`, r));
    return {
      figure: eventsPerSecond,
      unit: 'events/s',
      parameters: { nodes: hubs.length, publishersPerNode: p.publishersPerNode, batchSize: p.batchSize, eventBytes: EVENT_BYTES, warmupSeconds: p.warmupMs / 1000, durationSeconds: p.durationMs / 1000, durability: config.backend === 'sqlite' ? '--sync full' : 'synchronous_commit as configured on the server (default on)' },
      perNode: parts.map((r) => ({ eventsPerSecond: r.eventsPerSecond, batchLatencyMs: r.batchLatencyMs, statuses: r.statuses, hubCpu: r.cpu })),
      memory: await Promise.all(hubs.map((h) => h.memory())),
      problems,
    };
  });
}

/** NDJSON read of a whole list; with two nodes, a full read from each at the same time (events/s summed). */
async function read(config, base, S) {
  return withNodes(config, base, `read/${config.name}`, async (hubs) => {
    await hubs[0].createList('bench');
    const total = S.read.events;
    log(`  seeding ${total.toLocaleString('en')} events`);
    await runWorker('ingest', { ...common(hubs[0]), publishers: 4, batchSize: 1000, totalEvents: total });
    // Every node must know the head before it reads (cross-node NOTIFY).
    for (const hub of hubs) {
      for (let i = 0; i < 200; i++) {
        const list = (await hub.request('GET', '/lists/bench')).body;
        if (Number(list.head) >= total) break;
        await sleep(50);
      }
    }
    const parts = await Promise.all(hubs.map((hub) => runWorker('replay', { ...common(hub), expected: total })));
    const figure = round(parts.reduce((n, r) => n + r.eventsPerSecond, 0));
    return {
      figure,
      unit: 'events/s',
      parameters: { nodes: hubs.length, events: total, eventBytes: EVENT_BYTES, readers: hubs.length },
      perNode: parts.map((r) => ({ eventsPerSecond: r.eventsPerSecond, lines: r.lines, complete: r.complete })),
      problems: parts.filter((r) => !r.complete).map((r) => `replay returned ${r.lines} lines, expected ${total}`),
    };
  });
}

async function receiver(onRequest) {
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'webhook-allowed-origin': String(req.headers['webhook-request-origin'] ?? '*') }).end();
      return;
    }
    req.resume();
    req.on('end', () => {
      onRequest(req);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

/** Webhook fan-out: N subscriptions on one list, M events; deliveries per second until all arrived. */
async function delivery(config, base, S) {
  const { subscriptions: subs, events } = S.delivery;
  const env = { HEROLD_EGRESS_ALLOW: '127.0.0.0/8' };
  return withNodes(
    config,
    base,
    `delivery/${config.name}`,
    async (hubs, url) => {
      let received = 0;
      const total = subs * events;
      let done;
      const all = new Promise((r) => (done = r));
      const rx = await receiver(() => {
        if (++received === total) done();
      });
      try {
        await hubs[0].createList('fan');
        for (let i = 0; i < subs; i++) {
          const r = await hubs[i % hubs.length].request('POST', '/lists/fan/subscriptions', { sink: `${rx.url}/s${i}`, protocolsettings: { validate: false }, config: { concurrency: 16 } });
          if (r.status !== 201) throw new Error(`subscribe: ${r.status} ${JSON.stringify(r.body)}`);
        }
        let spread = null;
        if (url && hubs.length > 1) spread = await waitForSpread(url, subs, hubs.length);
        const t0 = performance.now();
        const ag = agent(4);
        const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/cloudevents-batch+json' };
        for (let sent = 0; sent < events; sent += 1000) {
          const res = await post(ag, hubs[(sent / 1000) % hubs.length].url, '/lists/fan/events', headers, batchJson(sent, Math.min(1000, events - sent)));
          if (res.status !== 201) throw new Error(`publish: HTTP ${res.status}`);
        }
        ag.destroy();
        const outcome = await Promise.race([all, sleep(180_000).then(() => 'timeout')]);
        const seconds = (performance.now() - t0) / 1000;
        return {
          figure: round(received / seconds),
          unit: 'deliveries/s',
          parameters: { nodes: hubs.length, subscriptions: subs, events, concurrencyPerSubscription: 16, leasesPerNode: spread },
          deliveries: received,
          expected: total,
          seconds: round(seconds, 2),
          problems: outcome === 'timeout' ? [`only ${received} of ${total} deliveries arrived within 180 s`] : [],
        };
      } finally {
        rx.server.close();
      }
    },
    env,
  );
}

/** With two nodes, wait until the subscription leases are shared out (each node drives its part). */
async function waitForSpread(url, subs, nodes) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await c.query('SELECT node, count(*)::int AS n FROM subscription_leases WHERE expires_at > now() GROUP BY node');
      const held = rows.reduce((n, r) => n + r.n, 0);
      if ((held === subs && rows.length === nodes && rows.every((r) => r.n <= Math.ceil(subs / nodes))) || Date.now() > deadline) return rows.map((r) => r.n);
      await sleep(250);
    }
  } finally {
    await c.end();
  }
}

function problemsOf(name, r) {
  const out = [];
  if (r.firstProblem) out.push(`${name}: ${r.firstProblem}`);
  if (r.duplicates) out.push(`${name}: ${r.duplicates} events answered as duplicates although every id was unique`);
  if (r.transportErrors) out.push(`${name}: ${r.transportErrors} transport errors`);
  const bad = Object.entries(r.allStatuses ?? {}).filter(([s]) => s !== '201');
  if (bad.length) out.push(`${name}: non-201 answers ${JSON.stringify(Object.fromEntries(bad))}`);
  return out;
}

/**
 * Run the PostgreSQL comparison.
 * @param {{ quick?: boolean, databaseUrl?: string, only?: ('ingest'|'read'|'delivery')[] }} [options]
 * @returns {Promise<{ databaseUrl: string, quick: boolean, targets: object, scenarios: Record<'ingest'|'read'|'delivery', Record<'sqlite'|'postgres_1_node'|'postgres_2_nodes', object>>, table: object[], pass: boolean|null, problems: string[] }>}
 */
export async function postgresBench({ quick = false, databaseUrl: explicitUrl, only = ['ingest', 'read', 'delivery'], configs: configNames } = {}) {
  const configs = configNames ? CONFIGS.filter((c) => configNames.includes(c.name)) : CONFIGS;
  const base = databaseUrl(explicitUrl);
  const S = sizes(quick);
  const scenarios = {};
  const problems = [];
  const runners = { ingest, read, delivery };
  for (const name of only) {
    scenarios[name] = {};
    for (const config of configs) {
      log(`postgres bench: ${name} on ${config.name}`);
      try {
        const r = await runners[name](config, base, S);
        scenarios[name][config.name] = r;
        log(`  → ${r.figure.toLocaleString('en')} ${r.unit}`);
        problems.push(...r.problems.map((p) => `${name}/${config.name}: ${p}`));
      } catch (error) {
        scenarios[name][config.name] = { error: String(error?.message ?? error) };
        problems.push(`${name}/${config.name}: ${error?.message ?? error}`);
        log(`  → failed: ${error?.message ?? error}`);
      }
    }
  }
  const table = only.map((name) => ({
    scenario: name,
    unit: Object.values(scenarios[name]).find((r) => r.unit)?.unit ?? null,
    ...Object.fromEntries(configs.map((c) => [c.name, scenarios[name][c.name]?.figure ?? null])),
  }));
  const pgIngest = scenarios.ingest?.postgres_1_node?.figure;
  return {
    databaseUrl: base.replace(/:[^:@/]*@/, ':***@'),
    quick,
    targets: POSTGRES_TARGETS,
    scenarios,
    table,
    pass: pgIngest == null ? null : pgIngest >= POSTGRES_TARGETS.ingest.eventsPerSecond && problems.length === 0,
    problems,
  };
}

// On its own: node bench/postgres.js [--quick] [--only ingest,read,delivery]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const onlyArg = args.find((a) => a.startsWith('--only'));
  const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',') : undefined;
  const configsArg = args.find((a) => a.startsWith('--configs'));
  const configs = configsArg ? (configsArg.includes('=') ? configsArg.split('=')[1] : args[args.indexOf(configsArg) + 1]).split(',') : undefined;
  const result = await postgresBench({ quick: args.includes('--quick'), only, configs });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
