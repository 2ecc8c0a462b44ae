#!/usr/bin/env node
// Render a results table (Markdown) from the JSON document `npm run bench` prints:
//   npm run -s bench > r.json && node bench/report.js r.json
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/report.js <results.json>\n');
  process.exit(2);
}
const d = JSON.parse(readFileSync(file, 'utf8'));
const sc = d.scenarios;
const n = (x) => (x == null ? '—' : typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
const ms = (x) => (x == null ? '—' : `${x} ms`);
const flag = (p) => (p === true ? '**pass**' : p === false ? '**miss**' : '—');
const cpu = (c) =>
  c
    ? `${c.brokerCpuPctOfOneCore != null ? 'broker' : 'hub'} ${c.hubCpuPctOfOneCore ?? c.brokerCpuPctOfOneCore ?? '—'} / gen ${c.loadGeneratorCpuPctOfOneCore} / other ${c.otherCpuPctOfOneCore}`
    : '—';
const rows = [];
const row = (...cells) => rows.push(`| ${cells.join(' | ')} |`);

row('scenario', 'figure', 'target', 'result', 'hub peak RSS', 'CPU, % of one core (hub or broker / load generator / other processes)');
row('---', '---', '---', '---', '---', '---');
const ing = sc.ingest;
if (ing?.sync_full) row('Batched ingest, 1,000/batch, 4 publishers, `--sync full`', `${n(ing.sync_full.figure)} events/s`, '≥ 100,000 events/s', flag(ing.sync_full.pass), `${ing.sync_full.peakRssMiB} MiB`, cpu(ing.sync_full.details.cpu));
if (ing?.sync_normal) row('Batched ingest, `--sync normal`', `${n(ing.sync_normal.figure)} events/s`, 'informational', '—', `${ing.sync_normal.peakRssMiB} MiB`, cpu(ing.sync_normal.details.cpu));
const s = sc.single;
if (s?.figure != null) row('Single-event publish, 50 connections, `--sync full`', `${n(s.figure)} req/s, p50 ${ms(s.p50Ms)}, p99 ${ms(s.p99Ms)}`, '≥ 10,000 req/s, p99 < 15 ms (goal 25,000, p99 < 5 ms)', `${flag(s.pass)} (goal: ${flag(s.productGoalPass)})`, `${s.peakRssMiB} MiB`, cpu(s.details.cpu));
for (const k of ['full', 'normal']) {
  const x = sc.sse?.[`sync_${k}`];
  if (x) row(`Publish → SSE at 2,000 events/s, \`--sync ${k}\``, `p50 ${ms(x.figure.p50Ms)}, p99 ${ms(x.figure.p99Ms)}`, k === 'full' ? 'p50 < 2 ms, p99 < 10 ms' : 'informational', k === 'full' ? flag(x.pass) : '—', `${x.peakRssMiB} MiB`, cpu(x.details.cpu));
}
const r = sc.replay;
if (r?.figure != null) row(`NDJSON replay of ${n(r.parameters.listSize)} events`, `${n(r.figure)} events/s (${r.details.megabytesPerSecond} MB/s)`, '≥ 200,000 events/s', flag(r.pass), `${r.peakRssMiB} MiB`, cpu(r.details.cpu));
if (r?.details?.seed) row('(seeding that list: batched ingest, `--sync normal`, growing list)', `${n(r.details.seed.eventsPerSecond)} events/s`, '—', '—', `${r.details.seedHubMemory?.peakRssMiB} MiB`, cpu(r.details.seed.cpu));
const rq = sc.rabbitmq;
if (rq?.available) {
  for (const [k, v] of Object.entries(rq.confirms ?? {})) row(`RabbitMQ ${rq.version ?? ''} persistent publish + confirms (every 1,000), ${k} queue`, `${n(v.figure)} msg/s`, 'reference', '—', '—', cpu(v.details.cpu));
  for (const [k, v] of Object.entries(rq.latency ?? {})) row(`RabbitMQ publish → consume at 2,000 msg/s, ${k} queue`, `p50 ${ms(v.figure.p50Ms)}, p99 ${ms(v.figure.p99Ms)}`, 'reference', '—', '—', cpu(v.details.cpu));
} else if (rq) row('RabbitMQ', `unavailable: ${rq.reason ?? rq.error}`, '—', '—', '—', '—');

const out = [rows.join('\n')];
const ra = d.ratios ?? {};
if (ra.ingestFullVsQuorumConfirms !== undefined) {
  out.push(
    [
      '| ratio (herold / rabbitmq) | value | goal |',
      '| --- | --- | --- |',
      `| ingest \`--sync full\` / quorum-queue confirms | ${ra.ingestFullVsQuorumConfirms} | > 1 ${flag(ra.productGoalIngestAheadOfQuorum)} |`,
      `| ingest \`--sync full\` / classic-queue confirms | ${ra.ingestFullVsClassicConfirms} | — |`,
      `| SSE p50 (\`--sync full\`) / RabbitMQ classic publish→consume p50 | ${ra.sseFullVsRabbitClassicP50} | < 1 |`,
      `| SSE p99 (\`--sync full\`) / RabbitMQ classic publish→consume p99 | ${ra.sseFullVsRabbitClassicP99} | < 1 ${flag(ra.productGoalSseBelowRabbit)} (both) |`,
    ].join('\n'),
  );
} else out.push(`Ratios: ${JSON.stringify(ra)}`);
if (d.problems?.length) out.push(`Problems:\n\n${d.problems.map((p) => `- ${p}`).join('\n')}`);
if (d.caveats?.length) out.push(`Caveats (other load on the machine):\n\n${d.caveats.map((p) => `- ${p}`).join('\n')}`);
process.stdout.write(out.join('\n\n') + '\n');
