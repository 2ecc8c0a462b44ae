// The PostgreSQL store's append path alone, in this process (no HTTP): groups of
// 1,000-event requests (3 per group, as 4 publishers make them) appended one after
// another for N seconds, with the CPU each statement cost its server backend
// (read from /proc, so the server must be on this machine) and the CPU this
// process spent in the store. For profiling the commit path, not a headline figure.
//
//   node bench/pg-append.js [seconds=15] [requestsPerGroup=3]   (after `npm run build`)
//
// Prints one JSON line, then per statement: calls, wall ms and backend CPU ms per call,
// backend CPU µs per event. Database: HEROLD_BENCH_DATABASE_URL, else
// HEROLD_TEST_DATABASE_URL, else the local server; a fresh schema, dropped afterwards.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { PostgresStore } from '../dist/store/postgres/pg-store.js';

const [secs = '15', per = '3'] = process.argv.slice(2);
const base = process.env.HEROLD_BENCH_DATABASE_URL ?? process.env.HEROLD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `herold_pgappend_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
const url = new URL(base);
url.searchParams.set('options', `-c search_path=${schema}`);

/** CPU ms of one process (utime + stime), 0 if it is gone or not on this machine. */
function cpuMs(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

// Every statement the store sends, with its backend's CPU before and after.
const perStatement = new Map();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const name = typeof config === 'string' ? config.slice(0, 24) : (config.name ?? config.text?.slice(0, 32));
  const pid = this.processID;
  const t0 = performance.now();
  const c0 = cpuMs(pid);
  const result = query.call(this, config, ...rest);
  result?.then?.(
    () => {
      const e = perStatement.get(name) ?? { calls: 0, wallMs: 0, cpuMs: 0 };
      e.calls++;
      e.wallMs += performance.now() - t0;
      e.cpuMs += cpuMs(pid) - c0;
      perStatement.set(name, e);
    },
    () => undefined,
  );
  return result;
};

const store = new PostgresStore({ url: url.toString() });
await store.open();
await store.upsertList({ name: 'bench' });
const SOURCE = 'urn:no:bench:folkeregister';
const TYPE = 'no.bench.folkeregister.person.address.changed.v1';
let n = 0;
function request() {
  const time = new Date().toISOString();
  const events = [];
  for (let i = 0; i < 1000; i++, n++) {
    const id = randomUUID();
    // 100,000 distinct subjects, as in bench/lib/events.js.
    const subject = `person/${String(10_000_000_000 + ((n * 7919) % 100_000)).padStart(11, '0')}`;
    const body = `{"specversion":"1.0","id":"${id}","source":"${SOURCE}","type":"${TYPE}","subject":"${subject}","time":"${time}","datacontenttype":"application/json","data":{"register":"folkeregister","change":"bostedsadresse","pad":"${'x'.repeat(40)}"}}`;
    events.push({ source: SOURCE, id, type: TYPE, subject, body });
  }
  return { list: 'bench', events };
}

for (let i = 0; i < 5; i++) await store.appendGroup(Array.from({ length: Number(per) }, request));
perStatement.clear();
let events = 0;
let makingMs = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
while (performance.now() - t0 < Number(secs) * 1000) {
  const m0 = performance.now();
  const group = Array.from({ length: Number(per) }, request);
  makingMs += performance.now() - m0;
  await store.appendGroup(group);
  events += Number(per) * 1000;
}
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const storeCpuS = (cpu.user + cpu.system) / 1e6 - makingMs / 1000;
let backendMs = 0;
for (const e of perStatement.values()) backendMs += e.cpuMs;
console.log(
  JSON.stringify({
    eventsPerSecond: Math.round(events / wall),
    eventsPerStoreCpuSecond: Math.round(events / storeCpuS),
    backendCpuMicrosPerEvent: Number(((backendMs * 1000) / events).toFixed(2)),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
  }),
);
for (const [name, e] of perStatement) {
  console.log(`${name.padEnd(32)} ${String(e.calls).padStart(5)} calls ${(e.wallMs / e.calls).toFixed(1).padStart(7)} ms wall ${(e.cpuMs / e.calls).toFixed(2).padStart(7)} ms backend CPU ${((e.cpuMs * 1000) / events).toFixed(2).padStart(6)} µs/event`);
}
await store.close();
const c = new pg.Client({ connectionString: base });
await c.connect();
await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await c.end();
