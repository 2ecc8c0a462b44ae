#!/usr/bin/env node
// Herold benchmark: `npm run bench [-- --only ingest,sse] [-- --quick]`.
//
// Each scenario starts the built hub (dist/) as a child process with a fresh
// temporary data directory on a free port, drives it from a separate forked
// load-generator process, samples the hub's peak RSS from /proc, and stops it.
// Progress goes to stderr; ONE JSON document goes to stdout at the end.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { BENCH_TYPE_DECLARATION } from './lib/catalogue.js';
import { EVENT_BYTES, TYPE } from './lib/events.js';
import { findPid, fsyncProbe, log, machineBusyOver, round, sleep, startFsyncMonitor } from './lib/util.js';
import { runWorker } from './lib/worker.js';

const ALL = ['ingest', 'single', 'sse', 'replay', 'rabbitmq', 'delivery', 'amqp', 'postgres', 'growth', 'ssemany', 'catalogue', 'graphql', 'consumer'];

const TARGETS = {
  ingest: { eventsPerSecond: 100_000, text: 'batched durable ingest (--sync full) >= 100,000 events/s; product: ahead of RabbitMQ quorum-queue confirms in the same run' },
  single: {
    requestsPerSecond: 10_000,
    p99Ms: 15,
    text: 'single-event publish >= 10,000 req/s with p99 < 15 ms at 50 connections',
    productGoal: { requestsPerSecond: 25_000, p99Ms: 5, text: 'product goal: 25,000 req/s at p99 < 5 ms' },
  },
  sse: { p50Ms: 2, p99Ms: 10, text: 'publish→SSE at 2,000 events/s: p50 < 2 ms and p99 < 10 ms; product: p50 and p99 below RabbitMQ publish→consume in the same run' },
  replay: { eventsPerSecond: 200_000, text: 'NDJSON replay >= 200,000 events/s from a list of 1,000,000' },
  catalogue: { ratio: 0.8, text: 'batched durable ingest with validate: enforce (declared type, JSON Schema on data) keeps >= 0.8x the rate with validate: off' },
};

const PLACEMENT =
  'The hub is its own process (a Node main thread for HTTP, reads and, by default, SQLite\'s commits; with HEROLD_SQLITE_WRITER=worker a second thread makes the commits). Every load generator ' +
  '(batch publishers, autocannon, SSE publisher+consumer, NDJSON reader, amqplib clients) runs in a separate forked ' +
  'Node process; the orchestrator only starts processes and samples /proc. Nothing is pinned: on this 2-core machine ' +
  'the hub and the load generator compete for the two cores, so load-generator CPU is not free. Each result carries ' +
  'cpu.hubCpuPctOfOneCore, cpu.loadGeneratorCpuPctOfOneCore and cpu.machineBusyPctOfOneCore (100 = one core, 200 = ' +
  'both) over the measured window, so contention is visible. Latency scenarios measure both ends in one process with ' +
  'one clock (performance.now()).';

function parseArgs(argv) {
  const opts = { only: ALL, quick: false, out: null, quietWait: true, quietBudget: null, rounds: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--no-quiet-wait') opts.quietWait = false;
    else if (a === '--quiet-budget' || a.startsWith('--quiet-budget=')) opts.quietBudget = Number(a.includes('=') ? a.slice(15) : argv[++i]);
    else if (a === '--out' || a.startsWith('--out=')) opts.out = a.includes('=') ? a.slice(6) : argv[++i];
    else if (a === '--rounds' || a.startsWith('--rounds=')) {
      opts.rounds = Number(a.includes('=') ? a.slice(9) : argv[++i]);
      if (!Number.isInteger(opts.rounds) || opts.rounds < 1 || opts.rounds > 20) {
        process.stderr.write('--rounds takes a whole number from 1 to 20\n');
        process.exit(2);
      }
    }
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(7) : argv[++i];
      opts.only = String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const bad = opts.only.filter((s) => !ALL.includes(s));
      if (bad.length || !opts.only.length) {
        process.stderr.write(`--only takes a comma-separated subset of ${ALL.join(',')}; got '${v}'\n`);
        process.exit(2);
      }
    } else if (a === '--help' || a === '-h') {
      process.stderr.write(
        `usage: npm run -s bench -- [--only ${ALL.join(',')}] [--quick] [--out results.json] [--no-quiet-wait] [--rounds N]\n` +
          '  --quick          small sizes, a smoke run\n' +
          '  --out FILE       also write the JSON document to FILE\n' +
          '  --no-quiet-wait  do not wait for other CPU load to settle before each scenario\n' +
          '  --quiet-budget S most seconds to wait for it in total (default 150, quick 20)\n' +
          '  --rounds N       catalogue: N interleaved off/enforce pairs (default 2, quick 1)\n',
      );
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument '${a}' (try --help)\n`);
      process.exit(2);
    }
  }
  return opts;
}

function sizes(quick) {
  return quick
    ? {
        ingest: { publishers: 4, batchSize: 1000, warmupMs: 1000, durationMs: 3000 },
        single: { connections: 50, warmupS: 1, durationS: 3, rotation: 150_000 },
        sse: { rate: 2000, warmupMs: 1000, durationMs: 3000 },
        replay: { events: 100_000, seedPublishers: 4, batchSize: 1000 },
        rabbitConfirms: { batch: 1000, warmupMs: 500, durationMs: 2000 },
        rabbitLatency: { rate: 2000, warmupMs: 1000, durationMs: 3000, queueTypes: ['classic'] },
      }
    : {
        ingest: { publishers: 4, batchSize: 1000, warmupMs: 3000, durationMs: 15_000 },
        single: { connections: 50, warmupS: 3, durationS: 15, rotation: 650_000 },
        sse: { rate: 2000, warmupMs: 3000, durationMs: 10_000 },
        replay: { events: 1_000_000, seedPublishers: 4, batchSize: 1000 },
        rabbitConfirms: { batch: 1000, warmupMs: 2000, durationMs: 10_000 },
        rabbitLatency: { rate: 2000, warmupMs: 3000, durationMs: 10_000, queueTypes: ['classic', 'quorum'] },
      };
}

// ---------------------------------------------------------------------------

// Other work on the machine (test suites, builds) distorts a 2-core benchmark.
// Before each scenario, wait (bounded) until the machine is nearly idle, and
// record what was seen either way.
const QUIET_PCT = 25; // % of one core used by everything else
const quiet = { waitedSeconds: 0, budgetSeconds: 0, perScenario: {} };

async function waitForQuiet(label) {
  let busy = await machineBusyOver(1000);
  const t0 = performance.now();
  let waited = 0;
  while (quiet.enabled && busy != null && busy > QUIET_PCT && quiet.waitedSeconds + waited < quiet.budgetSeconds) {
    if (waited === 0) log(`${label}: machine busy at ${busy}% of one core from other processes; waiting for it to settle`);
    busy = await machineBusyOver(2000);
    waited = (performance.now() - t0) / 1000;
  }
  quiet.waitedSeconds += waited;
  const rec = { otherCpuPctOfOneCoreBeforeStart: busy, quiet: busy != null && busy <= QUIET_PCT, waitedSeconds: round(waited, 1) };
  quiet.perScenario[label] = rec;
  if (!rec.quiet) log(`${label}: starting anyway with ${busy}% of one core busy elsewhere (quiet-wait budget used up or disabled)`);
  return rec;
}

async function withHub(sync, label, fn) {
  const background = await waitForQuiet(label);
  const hub = await Hub.start({ sync, label });
  const disk = startFsyncMonitor(os.tmpdir());
  try {
    await hub.createList('bench');
    const out = await fn(hub);
    const memory = await hub.memory();
    const diag = hub.diagnostics();
    const diskFsyncDuringRunMs = await disk.stop();
    return { ...out, hubMemory: memory, hubDiagnostics: diag, background, diskFsyncDuringRunMs };
  } finally {
    await disk.stop().catch(() => {});
    const exit = await hub.stop();
    if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') log(`${label}: hub exited with ${JSON.stringify(exit)}`);
    globalThis.gc?.();
  }
}

/** Throughput per CPU-second the hub actually got: less sensitive to other load than the raw figure. */
const perHubCpuSecond = (figure, cpu) => (cpu?.hubCpuPctOfOneCore ? round(figure / (cpu.hubCpuPctOfOneCore / 100)) : null);

const common = (hub) => ({ url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid });

function problemsOf(name, r) {
  const out = [];
  const d = r.hubDiagnostics;
  if (d?.hubLogLinesAtWarnOrAbove) out.push(`${name}: hub wrote ${d.hubLogLinesAtWarnOrAbove} log line(s) at warn or above, e.g. ${d.hubLogSample[0]}`);
  if (d?.hubExitedEarly) out.push(`${name}: hub exited during the run: ${JSON.stringify(d.hubExitedEarly)}`);
  if (r.firstProblem) out.push(`${name}: ${r.firstProblem}`);
  if (r.duplicates) out.push(`${name}: ${r.duplicates} events answered as duplicates although every id was unique`);
  if (r.shortResults) out.push(`${name}: ${r.shortResults} batch answers with the wrong number of results`);
  if (r.transportErrors) out.push(`${name}: ${r.transportErrors} transport errors`);
  if (r.allStatuses ?? r.statuses) {
    const bad = Object.entries(r.allStatuses ?? r.statuses).filter(([s]) => s !== '201');
    if (bad.length) out.push(`${name}: non-201 answers ${JSON.stringify(Object.fromEntries(bad))}`);
  }
  if (r.errors || r.timeouts) out.push(`${name}: ${r.errors} errors, ${r.timeouts} timeouts (autocannon)`);
  if (r.rotationWrapped) out.push(`${name}: body rotation wrapped, so some requests were duplicates (200)`);
  if (r.missing) out.push(`${name}: ${r.missing} published events never arrived on the stream`);
  if (r.seqGaps) out.push(`${name}: ${r.seqGaps} gaps in heroldseq on the stream`);
  if (r.complete === false) out.push(`${name}: replay returned ${r.lines} lines, expected ${r.expected}`);
  return out;
}

/** Not hub problems, but reasons to distrust a figure: other load on the machine. */
function caveatsOf(name, r) {
  const out = [];
  if (r?.background && !r.background.quiet) out.push(`${name}: ${r.background.otherCpuPctOfOneCoreBeforeStart}% of one core was busy with other processes when it started`);
  if (r?.cpu?.otherCpuPctOfOneCore > QUIET_PCT) out.push(`${name}: other processes used ${r.cpu.otherCpuPctOfOneCore}% of one core during the measured window`);
  const f = r?.diskFsyncDuringRunMs;
  if (f?.p99 > 50 || f?.max > 250) out.push(`${name}: fdatasync was slow while it ran (4 KiB probe every 250 ms, sharing the disk with the hub's own writes and any other process: p50 ${f.p50} ms, p99 ${f.p99} ms, max ${f.max} ms)`);
  return out;
}

async function scenarioIngest(S) {
  const out = {};
  // HEROLD_BENCH_INGEST_SYNC=full: only the durable run (interleaved comparisons of builds).
  for (const sync of (process.env.HEROLD_BENCH_INGEST_SYNC ?? 'full,normal').split(',')) {
    log(`ingest --sync ${sync}: ${S.ingest.publishers} publishers × batches of ${S.ingest.batchSize}, ${S.ingest.durationMs / 1000} s after ${S.ingest.warmupMs / 1000} s warm-up`);
    const r = await withHub(sync, `hub(ingest/${sync})`, (hub) => runWorker('ingest', { ...common(hub), ...S.ingest }));
    log(`  → ${r.eventsPerSecond} events/s, statuses ${JSON.stringify(r.statuses)}, hub RSS peak ${r.hubMemory.peakRssMiB} MiB`);
    const durable = sync === 'full';
    out[`sync_${sync}`] = {
      figure: r.eventsPerSecond,
      unit: 'events/s',
      eventsPerHubCpuSecond: perHubCpuSecond(r.eventsPerSecond, r.cpu),
      peakRssMiB: r.hubMemory.peakRssMiB,
      parameters: { sync, publishers: S.ingest.publishers, batchSize: S.ingest.batchSize, eventBytes: EVENT_BYTES, warmupSeconds: S.ingest.warmupMs / 1000, durationSeconds: S.ingest.durationMs / 1000, ids: 'random UUID', subjects: 100_000 },
      target: durable ? { eventsPerSecond: TARGETS.ingest.eventsPerSecond, text: TARGETS.ingest.text } : { text: 'informational (the target is for durable --sync full)' },
      pass: durable ? r.eventsPerSecond >= TARGETS.ingest.eventsPerSecond && problemsOf('x', r).length === 0 : null,
      details: r,
      problems: problemsOf(`ingest/${sync}`, r),
      caveats: caveatsOf(`ingest/${sync}`, r),
    };
  }
  return out;
}

// Ingest with the list's catalogue enforced against ingest without it: hubs alternate
// off, enforce, off, enforce ... so that drifting background load hits both alike.
async function scenarioCatalogue(S, roundsWanted) {
  const rounds = roundsWanted ?? (S.ingest.durationMs < 10_000 ? 1 : 2);
  const runs = { off: [], enforce: [] };
  for (let n = 0; n < rounds; n++) {
    for (const validate of ['off', 'enforce']) {
      log(`catalogue ingest (validate ${validate}, round ${n + 1}/${rounds}): ${S.ingest.publishers} publishers × batches of ${S.ingest.batchSize}`);
      const r = await withHub('full', `hub(catalogue/${validate})`, async (hub) => {
        if (validate === 'enforce') {
          const declared = await hub.request('PUT', `/lists/bench/types/${TYPE}`, BENCH_TYPE_DECLARATION);
          const set = await hub.request('PUT', '/lists/bench', { validate: 'enforce' });
          if (declared.status !== 201 || set.status !== 200) throw new Error(`declaring the bench type: ${declared.status} ${JSON.stringify(declared.body)}, ${set.status}`);
        }
        return runWorker('ingest', { ...common(hub), ...S.ingest });
      });
      log(`  → ${r.eventsPerSecond} events/s, statuses ${JSON.stringify(r.statuses)}`);
      runs[validate].push({ eventsPerSecond: r.eventsPerSecond, eventsPerHubCpuSecond: perHubCpuSecond(r.eventsPerSecond, r.cpu), problems: problemsOf(`catalogue/${validate}`, r), caveats: caveatsOf(`catalogue/${validate}`, r) });
    }
  }
  const mean = (xs) => (xs.length && xs.every((x) => x != null) ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const off = mean(runs.off.map((r) => r.eventsPerSecond));
  const enforce = mean(runs.enforce.map((r) => r.eventsPerSecond));
  const offCpu = mean(runs.off.map((r) => r.eventsPerHubCpuSecond));
  const enforceCpu = mean(runs.enforce.map((r) => r.eventsPerHubCpuSecond));
  const figure = off && enforce ? round(enforce / off, 3) : null;
  // Each round's enforce hub against the off hub just before it (the nearest in time), and their median:
  // less swayed than the means by one run that drifting load hit hard.
  const pair = (k) => runs.off.map((o, i) => (o[k] && runs.enforce[i]?.[k] ? round(runs.enforce[i][k] / o[k], 3) : null));
  const median = (xs) => (xs.length && xs.every((x) => x != null) ? [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1] : null);
  const roundRatios = { wall: pair('eventsPerSecond'), perHubCpuSecond: pair('eventsPerHubCpuSecond') };
  return {
    figure,
    unit: 'ratio (enforce / off)',
    perHubCpuSecondRatio: offCpu && enforceCpu ? round(enforceCpu / offCpu, 3) : null,
    roundRatios,
    medianRoundRatio: { wall: median(roundRatios.wall), perHubCpuSecond: median(roundRatios.perHubCpuSecond) },
    eventsPerSecond: { off: round(off), enforce: round(enforce) },
    target: TARGETS.catalogue,
    pass: figure != null && figure >= TARGETS.catalogue.ratio && [...runs.off, ...runs.enforce].every((r) => r.problems.length === 0),
    runs,
    problems: [...runs.off, ...runs.enforce].flatMap((r) => r.problems),
    caveats: [...runs.off, ...runs.enforce].flatMap((r) => r.caveats),
  };
}

async function scenarioSingle(S) {
  const p = S.single;
  log(`single publish: autocannon, ${p.connections} connections, ${p.durationS} s after ${p.warmupS} s warm-up, --sync full`);
  const r = await withHub('full', 'hub(single)', (hub) => runWorker('single', { ...common(hub), ...p }));
  log(`  → ${r.requestsPerSecond} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, statuses ${JSON.stringify(r.statuses)}`);
  const t = TARGETS.single;
  const clean = problemsOf('x', r).length === 0;
  return {
    figure: r.requestsPerSecond,
    unit: 'requests/s',
    requestsPerHubCpuSecond: perHubCpuSecond(r.requestsPerSecond, r.cpu),
    p50Ms: r.latencyMs.p50,
    p99Ms: r.latencyMs.p99,
    peakRssMiB: r.hubMemory.peakRssMiB,
    parameters: { sync: 'full', connections: p.connections, pipelining: 1, eventBytes: EVENT_BYTES, warmupSeconds: p.warmupS, durationSeconds: p.durationS, bodyRotation: p.rotation, contentType: 'application/cloudevents+json' },
    target: t,
    pass: r.requestsPerSecond >= t.requestsPerSecond && r.latencyMs.p99 < t.p99Ms && clean,
    productGoalPass: r.requestsPerSecond >= t.productGoal.requestsPerSecond && r.latencyMs.p99 < t.productGoal.p99Ms && clean,
    details: r,
    problems: problemsOf('single', r),
    caveats: caveatsOf('single', r),
  };
}

async function scenarioSse(S) {
  const out = {};
  for (const sync of ['full', 'normal']) {
    const p = S.sse;
    log(`publish→SSE --sync ${sync}: ${p.rate}/s for ${p.durationMs / 1000} s after ${p.warmupMs / 1000} s warm-up`);
    const r = await withHub(sync, `hub(sse/${sync})`, (hub) => runWorker('sse', { ...common(hub), ...p }));
    log(`  → p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms (${r.receivedInWindow}/${r.sentInWindow} received)`);
    const t = TARGETS.sse;
    const durable = sync === 'full';
    out[`sync_${sync}`] = {
      figure: { p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99 },
      unit: 'ms (publish sent → event received on SSE)',
      peakRssMiB: r.hubMemory.peakRssMiB,
      parameters: { sync, rate: p.rate, warmupSeconds: p.warmupMs / 1000, durationSeconds: p.durationMs / 1000, consumers: 1, publisher: 'single structured POSTs, keep-alive, open-loop 1 ms pacing', eventBytes: EVENT_BYTES },
      target: durable ? { p50Ms: t.p50Ms, p99Ms: t.p99Ms, text: t.text } : { text: 'informational (same targets; durable --sync full is the default)' },
      pass: durable ? r.latencyMs.p50 < t.p50Ms && r.latencyMs.p99 < t.p99Ms && problemsOf('x', r).length === 0 : null,
      details: r,
      problems: problemsOf(`sse/${sync}`, r),
      caveats: caveatsOf(`sse/${sync}`, r),
    };
  }
  return out;
}

async function scenarioReplay(S) {
  const p = S.replay;
  log(`replay: seeding ${p.events} events (--sync normal, ${p.seedPublishers} publishers × ${p.batchSize}), then one NDJSON read of the whole list`);
  let seed;
  const r = await withHub('normal', 'hub(replay)', async (hub) => {
    seed = await runWorker('ingest', { ...common(hub), publishers: p.seedPublishers, batchSize: p.batchSize, totalEvents: p.events }, { timeoutMs: 900_000 });
    log(`  seeded ${seed.ackedEvents} events at ${seed.eventsPerSecond}/s; reading`);
    await sleep(500);
    globalThis.gc?.();
    const seedMemory = await hub.memory();
    hub.resetPeakRss();
    const read = await runWorker('replay', { ...common(hub), expected: p.events });
    return { ...read, seedHubMemory: seedMemory, seedBackgroundCpu: seed.cpu };
  });
  log(`  → ${r.eventsPerSecond} events/s (${r.lines} lines, ${r.megabytes} MB in ${r.seconds} s)`);
  const clean = problemsOf('x', r).length === 0 && problemsOf('x', seed).length === 0;
  return {
    figure: r.eventsPerSecond,
    unit: 'events/s',
    eventsPerHubCpuSecond: perHubCpuSecond(r.eventsPerSecond, r.cpu),
    peakRssMiB: r.hubMemory.peakRssMiB,
    peakRssNote: 'peak during the NDJSON read (VmHWM reset after seeding); seeding peak in details.seedHubMemory',
    parameters: { listSize: p.events, seedSync: 'normal', seedBatchSize: p.batchSize, seedPublishers: p.seedPublishers, accept: 'application/x-ndjson', eventBytes: EVENT_BYTES },
    target: { eventsPerSecond: TARGETS.replay.eventsPerSecond, text: TARGETS.replay.text },
    pass: r.eventsPerSecond >= TARGETS.replay.eventsPerSecond && r.complete && clean,
    details: { ...r, seed },
    problems: [...problemsOf('replay/seed', seed), ...problemsOf('replay', r)],
    caveats: [...caveatsOf('replay', r), ...(r.seedBackgroundCpu?.otherCpuPctOfOneCore > QUIET_PCT ? [`replay/seed: other processes used ${r.seedBackgroundCpu.otherCpuPctOfOneCore}% of one core while seeding`] : [])],
  };
}

// ---------------------------------------------------------------------------

function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function ensureRabbit() {
  if (await portOpen(5672)) return { ok: true, started: false };
  log('RabbitMQ not listening on 127.0.0.1:5672; trying rabbitmq-server -detached');
  try {
    execFileSync('rabbitmq-server', ['-detached'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  } catch (e) {
    return { ok: false, reason: `rabbitmq-server -detached failed: ${String(e.stderr || e.message).trim().slice(0, 300)}` };
  }
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (await portOpen(5672)) {
      await sleep(2000);
      return { ok: true, started: true };
    }
    await sleep(1000);
  }
  return { ok: false, reason: 'started rabbitmq-server -detached but port 5672 did not open within 90 s' };
}

async function scenarioRabbit(S) {
  const amqpUrl = 'amqp://guest:guest@127.0.0.1:5672';
  const up = await ensureRabbit();
  if (!up.ok) {
    log(`RabbitMQ unavailable: ${up.reason}`);
    return { available: false, reason: up.reason };
  }
  let version = null;
  try {
    version = execFileSync('rabbitmqctl', ['version'], { encoding: 'utf8', timeout: 20_000 }).trim();
  } catch {
    /* keep null */
  }
  const brokerPid = findPid('beam.smp');
  const background = await waitForQuiet('rabbitmq');
  const out = { available: true, background, caveats: caveatsOf('rabbitmq', { background }), startedByBench: up.started, version, brokerPid, confirms: {}, latency: {} };
  try {
    for (const queueType of ['classic', 'quorum']) {
      log(`RabbitMQ persistent publish with confirms → ${queueType} queue, waitForConfirms every ${S.rabbitConfirms.batch}, ${S.rabbitConfirms.durationMs / 1000} s`);
      const r = await runWorker('rabbitmq', { amqpUrl, mode: 'confirms', queueType, brokerPid, ...S.rabbitConfirms });
      log(`  → ${r.messagesPerSecond} msg/s`);
      out.caveats = [...(out.caveats ?? []), ...caveatsOf(`rabbitmq/confirms/${queueType}`, { cpu: r.cpu })];
      out.confirms[queueType] = {
        figure: r.messagesPerSecond,
        unit: 'messages/s',
        parameters: { queueType, persistent: true, confirmEvery: S.rabbitConfirms.batch, publishers: 1, messageBytes: EVENT_BYTES, durationSeconds: S.rabbitConfirms.durationMs / 1000 },
        details: r,
      };
    }
    for (const queueType of S.rabbitLatency.queueTypes) {
      log(`RabbitMQ publish→consume latency (${queueType}) at ${S.rabbitLatency.rate}/s`);
      const r = await runWorker('rabbitmq', { amqpUrl, mode: 'latency', queueType, brokerPid, ...S.rabbitLatency });
      log(`  → p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
      out.caveats = [...(out.caveats ?? []), ...caveatsOf(`rabbitmq/latency/${queueType}`, { cpu: r.cpu })];
      out.latency[queueType] = {
        figure: { p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99 },
        unit: 'ms (publish sent → delivered to consumer)',
        parameters: { queueType, persistent: true, rate: S.rabbitLatency.rate, prefetch: 1000, ack: 'manual, per message', durationSeconds: S.rabbitLatency.durationMs / 1000 },
        details: r,
      };
    }
  } catch (error) {
    out.error = String(error.message ?? error);
    log(`RabbitMQ scenario failed: ${out.error}`);
  }
  const st = brokerPid ? readStatus(brokerPid) : null;
  out.brokerRssMiB = st?.VmRSS ? round(st.VmRSS / 1024, 1) : null;
  out.brokerRssNote = 'RabbitMQ is a long-running shared broker, not restarted per scenario; RSS at the end of its scenarios';
  return out;
}

function readStatus(pid) {
  try {
    const out = {};
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const m = /^(Vm\w+):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]] = Number(m[2]);
    }
    return out;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------

async function machine() {
  let sqlite = null;
  let betterSqlite = null;
  try {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(':memory:');
    sqlite = db.prepare('select sqlite_version() as v').get().v;
    db.close();
    betterSqlite = JSON.parse(readFileSync(new URL('../node_modules/better-sqlite3/package.json', import.meta.url), 'utf8')).version;
  } catch (e) {
    sqlite = `unavailable: ${e.message}`;
  }
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? null;
  let fs = null;
  try {
    fs = execFileSync('df', ['-T', os.tmpdir()], { encoding: 'utf8' }).trim().split('\n')[1].split(/\s+/)[1];
  } catch {
    /* keep null */
  }
  let commit = null;
  let dirty = null;
  try {
    const cwd = new URL('..', import.meta.url);
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd, encoding: 'utf8' }).split('\n').filter(Boolean).length;
  } catch {
    /* not a git checkout */
  }
  return {
    hubBuild: { gitHead: commit, uncommittedFilesUnderSrc: dirty, note: 'dist/ was built from this tree by npm run bench' },
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel: model,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    sqlite,
    betterSqlite3: betterSqlite,
    dataDirFilesystem: `${os.tmpdir()} (${fs ?? 'unknown'})`,
    fdatasync4KiBMs: (() => {
      try {
        return fsyncProbe(os.tmpdir());
      } catch (e) {
        return `unavailable: ${e.message}`;
      }
    })(),
    fdatasyncNote: 'latency of write(4 KiB)+fdatasync in the data directory: the floor under each --sync full commit',
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
  };
}

const ratio = (a, b) => (a != null && b ? round(a / b, 3) : null);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const S = sizes(opts.quick);
  quiet.enabled = opts.quietWait;
  quiet.budgetSeconds = Number.isFinite(opts.quietBudget) ? opts.quietBudget : opts.quick ? 20 : 150;
  const started = new Date();
  const t0 = performance.now();
  log(`herold bench: ${opts.only.join(', ')}${opts.quick ? ' (quick)' : ''}; event size ${EVENT_BYTES} bytes`);
  const doc = {
    benchmark: 'herold',
    startedAt: started.toISOString(),
    quick: opts.quick,
    only: opts.only,
    machine: await machine(),
    loadGeneratorPlacement: PLACEMENT,
    scenarios: {},
    ratios: {},
    summary: [],
    problems: [],
    caveats: [],
  };
  const runs = {
    ingest: scenarioIngest,
    single: scenarioSingle,
    sse: scenarioSse,
    replay: scenarioReplay,
    rabbitmq: scenarioRabbit,
    catalogue: (S) => scenarioCatalogue(S, opts.rounds),
    // Push delivery (issue 3) and AMQP (issue 6) live in their own modules.
    delivery: async () => {
      await waitForQuiet('delivery');
      return (await import('./delivery.js')).deliveryBench({ quick: opts.quick });
    },
    amqp: async () => {
      await waitForQuiet('amqp');
      return (await import('./amqp.js')).runAmqpBench({ quick: opts.quick, log });
    },
    // PostgreSQL (issue 5): ingest, read and delivery on SQLite, PostgreSQL with
    // one node and with two, side by side in this run.
    postgres: async () => {
      await waitForQuiet('postgres');
      return (await import('./postgres.js')).postgresBench({ quick: opts.quick });
    },
    // Ingest as the list grows to 5,000,000 events (PRODUCT.md: no collapse).
    growth: async () => {
      await waitForQuiet('growth');
      return (await import('./growth.js')).growthBench({ quick: opts.quick });
    },
    // 10,000 concurrent SSE consumers (PRODUCT.md: under 1 GiB).
    ssemany: async () => {
      await waitForQuiet('ssemany');
      return (await import('./sse-many.js')).sseManyBench({ quick: opts.quick });
    },
    // The GraphQL door (issue 11): pages against REST, subscription latency against plain SSE.
    graphql: async () => {
      await waitForQuiet('graphql');
      return (await import('./graphql.js')).graphqlBench({ quick: opts.quick });
    },
    // The SDK's Consumer.run over SSE and pull against the raw NDJSON replay (issue 13).
    consumer: async () => {
      await waitForQuiet('consumer');
      return (await import('./consumer.js')).consumerBench({ quick: opts.quick });
    },
  };
  for (const name of ALL) {
    if (!opts.only.includes(name)) continue;
    try {
      doc.scenarios[name] = await runs[name](S);
    } catch (error) {
      log(`${name} failed: ${error.stack ?? error}`);
      doc.scenarios[name] = { error: String(error.message ?? error) };
      doc.problems.push(`${name}: scenario failed: ${String(error.message ?? error)}`);
    }
  }
  const sc = doc.scenarios;
  const warnings = new Set();
  for (const v of Object.values(sc)) {
    for (const leaf of [v, ...Object.values(v ?? {})]) {
      if (Array.isArray(leaf?.problems)) doc.problems.push(...leaf.problems);
      if (Array.isArray(leaf?.caveats)) doc.caveats.push(...leaf.caveats);
      for (const w of leaf?.details?.hubDiagnostics?.hubProcessWarnings ?? []) warnings.add(w);
    }
  }
  doc.hubProcessWarnings = [...warnings];
  if (sc.rabbitmq?.error) doc.caveats.push(`rabbitmq: failed part-way (reference figures incomplete): ${sc.rabbitmq.error}`);
  doc.backgroundLoad = {
    note: `Before each scenario the bench waits (up to ${quiet.budgetSeconds} s in total) until other processes use <= ${QUIET_PCT}% of one core. cpu.otherCpuPctOfOneCore in each result is what else ran during its measured window.`,
    waitedSecondsTotal: round(quiet.waitedSeconds, 1),
    perScenario: quiet.perScenario,
  };

  // Ratios against the reference peer measured in this run.
  const rq = sc.rabbitmq;
  if (rq?.available) {
    const ingestFull = sc.ingest?.sync_full?.figure;
    const ingestNormal = sc.ingest?.sync_normal?.figure;
    const quorum = rq.confirms.quorum?.figure;
    const classic = rq.confirms.classic?.figure;
    const rl = rq.latency.classic?.figure;
    const sseFull = sc.sse?.sync_full?.figure;
    const sseNormal = sc.sse?.sync_normal?.figure;
    doc.ratios = {
      note: 'herold / rabbitmq. Throughput: > 1 means Herold is faster. Latency: < 1 means Herold is faster.',
      ingestFullVsQuorumConfirms: ratio(ingestFull, quorum),
      ingestFullVsClassicConfirms: ratio(ingestFull, classic),
      ingestNormalVsQuorumConfirms: ratio(ingestNormal, quorum),
      sseFullVsRabbitClassicP50: ratio(sseFull?.p50Ms, rl?.p50Ms),
      sseFullVsRabbitClassicP99: ratio(sseFull?.p99Ms, rl?.p99Ms),
      sseNormalVsRabbitClassicP50: ratio(sseNormal?.p50Ms, rl?.p50Ms),
      sseNormalVsRabbitClassicP99: ratio(sseNormal?.p99Ms, rl?.p99Ms),
      productGoalIngestAheadOfQuorum: ingestFull != null && quorum != null ? ingestFull > quorum : null,
      productGoalSseBelowRabbit: sseFull && rl ? sseFull.p50Ms < rl.p50Ms && sseFull.p99Ms < rl.p99Ms : null,
      ...(rq.error ? { incomplete: `RabbitMQ scenario failed part-way: ${rq.error}` } : {}),
    };
  } else if (opts.only.includes('rabbitmq')) {
    doc.ratios = { unavailable: rq?.reason ?? rq?.error ?? 'RabbitMQ scenario did not run' };
  } else {
    doc.ratios = { skipped: 'rabbitmq not in --only' };
  }

  // Flat summary.
  const add = (scenario, figure, unit, target, pass, peakRssMiB, extra = {}) => doc.summary.push({ scenario, figure, unit, target, pass, peakRssMiB, ...extra });
  if (sc.ingest?.sync_full) add('ingest batched, --sync full', sc.ingest.sync_full.figure, 'events/s', '>= 100,000', sc.ingest.sync_full.pass, sc.ingest.sync_full.peakRssMiB, { vsRabbitQuorum: doc.ratios.ingestFullVsQuorumConfirms ?? null });
  if (sc.ingest?.sync_normal) add('ingest batched, --sync normal', sc.ingest.sync_normal.figure, 'events/s', 'informational', null, sc.ingest.sync_normal.peakRssMiB);
  if (sc.single?.figure != null)
    add('single-event publish, 50 conns', sc.single.figure, 'req/s', '>= 10,000 and p99 < 15 ms (goal 25,000 at p99 < 5 ms)', sc.single.pass, sc.single.peakRssMiB, { p50Ms: sc.single.p50Ms, p99Ms: sc.single.p99Ms, productGoalPass: sc.single.productGoalPass });
  for (const s of ['full', 'normal']) {
    const x = sc.sse?.[`sync_${s}`];
    if (x) add(`publish→SSE at 2,000/s, --sync ${s}`, x.figure, 'ms', s === 'full' ? 'p50 < 2, p99 < 10' : 'informational', x.pass, x.peakRssMiB, s === 'full' ? { vsRabbitP50: doc.ratios.sseFullVsRabbitClassicP50 ?? null, vsRabbitP99: doc.ratios.sseFullVsRabbitClassicP99 ?? null } : {});
  }
  if (sc.catalogue?.figure != null) add('ingest with validate: enforce / off, --sync full', sc.catalogue.figure, 'ratio', '>= 0.8', sc.catalogue.pass, null, { eventsPerSecond: sc.catalogue.eventsPerSecond, perHubCpuSecondRatio: sc.catalogue.perHubCpuSecondRatio });
  if (sc.replay?.figure != null) add('NDJSON replay of 1,000,000', sc.replay.figure, 'events/s', '>= 200,000', sc.replay.pass, sc.replay.peakRssMiB, { listSize: sc.replay.parameters.listSize });
  if (rq?.available) {
    for (const [k, v] of Object.entries(rq.confirms)) add(`RabbitMQ confirms, ${k} queue`, v.figure, 'msg/s', 'reference', null, null);
    for (const [k, v] of Object.entries(rq.latency)) add(`RabbitMQ publish→consume at 2,000/s, ${k}`, v.figure, 'ms', 'reference', null, null);
  } else if (rq) add('RabbitMQ', null, null, 'reference', null, null, { unavailable: rq.reason });

  if (sc.delivery?.webhookFanOut) {
    const d = sc.delivery;
    add('webhook fan-out, 100 subscriptions', d.webhookFanOut.deliveriesPerSecond, 'deliveries/s', '>= 20,000, then >= 1x RabbitMQ fan-out', d.webhookFanOut.meetsTarget, d.webhookFanOut.memory?.peakRssMiB ?? null, {
      vsRabbitFanOut: d.webhookFanOut.vsRabbitFanOut ?? null,
      perHubCpuSecond: d.webhookFanOut.deliveriesPerHubCpuSecond ?? null,
    });
    if (d.rabbitFanOut) add('RabbitMQ persistent fan-out to 100 durable queues, 100 acking consumers', d.rabbitFanOut.deliveriesPerSecond ?? null, 'deliveries/s', 'reference', null, null, d.rabbitFanOut.unavailable ? { unavailable: d.rabbitFanOut.unavailable } : { perBrokerCpuSecond: d.rabbitFanOut.deliveriesPerBrokerCpuSecond });
    add('publish→webhook at 1,000/s', d.publishToWebhookLatency.p50Ms, 'ms p50', 'informational', null, d.publishToWebhookLatency.memory?.peakRssMiB ?? null, { p99Ms: d.publishToWebhookLatency.p99Ms });
    const nm = d.nonMatchingSubscriptionsCost;
    add('ingest with 1,000 non-matching subscriptions', nm.ratio, 'ratio to none', '>= 0.9 (cost at most 10 %)', nm.ratio >= 0.9, nm.memory?.peakRssMiB ?? null, { perHubCpuSecondRatio: nm.perHubCpuSecondRatio ?? null });
  }
  if (Array.isArray(sc.amqp?.summary)) doc.summary.push(...sc.amqp.summary);
  if (sc.growth?.figure != null) {
    const g = sc.growth;
    add(`ingest as the list grows to ${g.eventsInList.toLocaleString('en')}`, g.figure, 'rate at end / rate at 100,000', '>= 0.8', g.pass, g.memory?.peakRssMiB ?? null, { rateAt100k: g.rateAt100k, rateAtEnd: g.rateAtEnd });
  }
  if (sc.ssemany?.figure != null) {
    const m = sc.ssemany;
    add(`${m.consumers.toLocaleString('en')} concurrent SSE consumers`, m.figure, 'MiB peak RSS', '< 1,024 MiB, every event to every consumer', m.pass, m.figure, { complete: m.complete, fanOutLatencyMs: m.latencyMs });
    for (const r of m.runs ?? []) {
      add(`publish → arrival p99, ${r.consumers.toLocaleString('en')} SSE streams at ${r.rate} events/s`, r.latencyMs.p99, 'ms', `< ${r.target.p99Ms} ms`, r.meetsLatencyTarget, r.memory?.peakRssMiB ?? null, { p50: r.latencyMs.p50, hubCpuPctOfOneCore: r.cpu.hubCpuPctOfOneCore, clientProcessesPctOfOneCore: r.cpu.clientProcessesPctOfOneCore });
    }
  }
  if (Array.isArray(sc.postgres?.table)) {
    const pgs = sc.postgres;
    for (const row of pgs.table) {
      const sqlite = row.sqlite;
      for (const config of ['sqlite', 'postgres_1_node', 'postgres_2_nodes']) {
        if (row[config] == null) continue;
        const isTarget = row.scenario === 'ingest' && config === 'postgres_1_node';
        const memory = pgs.scenarios[row.scenario]?.[config]?.memory;
        const peakRss = Array.isArray(memory) ? Math.max(...memory.map((m) => m.peakRssMiB ?? 0)) : null;
        add(`${row.scenario} on ${config.replace(/_/g, ' ')}`, row[config], row.unit, isTarget ? '>= 30,000' : 'informational', isTarget ? row[config] >= pgs.targets.ingest.eventsPerSecond : null, peakRss, config === 'sqlite' ? {} : { vsSqlite: ratio(row[config], sqlite) });
      }
    }
  }

  doc.finishedAt = new Date().toISOString();
  doc.totalSeconds = round((performance.now() - t0) / 1000, 1);
  log(`done in ${doc.totalSeconds} s; ${doc.problems.length} problem(s), ${doc.caveats.length} caveat(s)`);
  const text = JSON.stringify(doc, null, 2) + '\n';
  if (opts.out) writeFileSync(opts.out, text);
  // The document is complete: exit even if a client library (amqplib, pg, an
  // HTTP agent) still holds a handle, instead of hanging after "done".
  process.stdout.write(text, () => process.exit(0));
}

main().catch((error) => {
  log(`bench failed: ${error.stack ?? error}`);
  process.exit(1);
});
