#!/usr/bin/env node
// The store's append path alone, without HTTP: `npm run build && node scripts/bench-append.mjs [--pg URL]`.
// Appends groups of batches (random UUID ids, 100,000 subjects, ~300-byte events, as bench/ sends)
// and single-event groups, each to a fresh store, and prints events/s and events per CPU-second for each
// (BENCH_SYNC=normal leaves fsync out, BENCH_SCALE multiplies the number of events). Use it to compare an
// append-path change before and after on one machine (run both a few times: the machine is shared).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventJson, subjectFor, SOURCE, TYPE } from '../bench/lib/events.js';

// HEROLD_DIST: another build to measure (e.g. a copy of dist/ from before a change).
const dist = new URL(process.env.HEROLD_DIST ? `file://${process.env.HEROLD_DIST}/` : '../dist/', import.meta.url);
const { SqliteStore } = await import(new URL('store/sqlite/sqlite-store.js', dist).href);
const { PostgresStore } = await import(new URL('store/postgres/pg-store.js', dist).href);

const args = process.argv.slice(2);
const pgUrl = args.includes('--pg') ? args[args.indexOf('--pg') + 1] : undefined;
// A fixed amount of work per part (the same index flushes before and after a change), each on a fresh store.
const scale = Number(process.env.BENCH_SCALE ?? 1);

function event(n) {
  const id = crypto.randomUUID();
  return { source: SOURCE, id, type: TYPE, subject: subjectFor(n), body: eventJson(n, { id }) };
}

async function run(label, total, groupOf) {
  const dir = mkdtempSync(join(tmpdir(), 'herold-bench-append-'));
  const store = pgUrl ? new PostgresStore({ url: pgUrl }) : new SqliteStore({ file: join(dir, 'herold.db'), synchronous: process.env.BENCH_SYNC === 'normal' ? 'normal' : 'full' });
  await store.open();
  const list = `bench-${Date.now()}`;
  await store.upsertList({ name: list });
  let n = 0;
  let events = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  while (events < total) {
    const group = groupOf(list, () => event(n++));
    const outcomes = await store.appendGroup(group);
    for (const o of outcomes) if (!o.ok) throw new Error(`append failed: ${JSON.stringify(o)}`);
    events += group.reduce((s, r) => s + r.events.length, 0);
  }
  const rate = Math.round(events / ((performance.now() - start) / 1000));
  // CPU per event is steadier than the wall-clock rate on a shared machine.
  const cpu = process.cpuUsage(cpuStart);
  const perCpuSecond = Math.round(events / ((cpu.user + cpu.system) / 1e6));
  console.log(`${store.kind} ${label}: ${rate.toLocaleString('en')} events/s, ${perCpuSecond.toLocaleString('en')} events per CPU-second (${events.toLocaleString('en')} events)`);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

const batches = (list, next) => Array.from({ length: 4 }, () => ({ list, events: Array.from({ length: 1000 }, next) }));
const singles = (list, next) => Array.from({ length: 50 }, () => ({ list, events: [next()] }));
await run('groups of 4 x 1000-event requests', 200_000 * scale, batches);
await run('groups of 50 one-event requests', 50_000 * scale, singles);
