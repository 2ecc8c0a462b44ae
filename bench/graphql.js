// The GraphQL door (issue 11): a 1,000-event GraphQL page against the REST JSON page, and
// publish → GraphQL subscription latency over SSE and WebSocket against the plain SSE stream,
// all three consumers following the same events in the same run.
//
//   import { graphqlBench } from './graphql.js';  // the `graphql` scenario of npm run bench
//   node bench/graphql.js [--quick]               // on its own (after npm run build)
import { fileURLToPath } from 'node:url';
import { ADMIN_KEY, Hub } from './lib/hub.js';
import { runWorker } from './lib/worker.js';
import { log, round } from './lib/util.js';

export const GRAPHQL_TARGETS = {
  pages: { ratio: 0.5, text: 'a 1,000-event page through GraphQL at >= 0.5x the events/s of the REST JSON page' },
  latency: { p99Ratio: 1.2, text: 'publish→GraphQL subscription p99 at 2,000 events/s, over SSE and WS, within 1.2x the plain SSE p99 of the same run' },
};

/** @param {{ quick?: boolean }} [options] */
export async function graphqlBench({ quick = false } = {}) {
  const out = {};
  const events = quick ? 5000 : 20_000;
  {
    const hub = await Hub.start({ sync: 'normal', label: 'graphql-pages' });
    try {
      await hub.createList('bench');
      log(`graphql pages: seeding ${events} events, then 1,000-event pages, REST and GraphQL in alternating rounds`);
      await runWorker('ingest', { url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid, publishers: 2, batchSize: 1000, totalEvents: events });
      const r = await runWorker('graphql', { kind: 'pages', url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid, events, rounds: quick ? 2 : 6, roundMs: quick ? 1000 : 2000 });
      log(`  → REST ${r.restEventsPerSecond} events/s, GraphQL ${r.graphqlEventsPerSecond} events/s (${r.ratio}x)`);
      out.pages = {
        figure: { restEventsPerSecond: r.restEventsPerSecond, graphqlEventsPerSecond: r.graphqlEventsPerSecond, ratio: r.ratio },
        unit: 'events/s (1,000-event pages, one connection, one page at a time)',
        target: GRAPHQL_TARGETS.pages,
        pass: r.ratio >= GRAPHQL_TARGETS.pages.ratio && !r.firstProblem,
        peakRssMiB: (await hub.memory()).peakRssMiB,
        details: r,
        problems: r.firstProblem ? [`graphql/pages: ${r.firstProblem}`] : [],
      };
    } finally {
      await hub.stop();
    }
  }
  {
    const hub = await Hub.start({ sync: 'full', label: 'graphql-latency' });
    try {
      await hub.createList('bench');
      const p = quick ? { rate: 2000, warmupMs: 1000, durationMs: 3000 } : { rate: 2000, warmupMs: 3000, durationMs: 10_000 };
      log(`graphql latency --sync full: ${p.rate}/s for ${p.durationMs / 1000} s; plain SSE, GraphQL over SSE and over WS follow the same events`);
      const r = await runWorker('graphql', { kind: 'latency', url: hub.url, list: 'bench', key: ADMIN_KEY, hubPid: hub.pid, ...p });
      const sseP99 = r.sse.latencyMs.p99;
      const ratios = { sse: round(r['graphql-sse'].latencyMs.p99 / sseP99, 2), ws: round(r['graphql-ws'].latencyMs.p99 / sseP99, 2) };
      log(`  → p50/p99 ms: SSE ${r.sse.latencyMs.p50}/${sseP99}, GraphQL SSE ${r['graphql-sse'].latencyMs.p50}/${r['graphql-sse'].latencyMs.p99}, GraphQL WS ${r['graphql-ws'].latencyMs.p50}/${r['graphql-ws'].latencyMs.p99}`);
      const problems = [];
      if (r.firstProblem) problems.push(`graphql/latency: ${r.firstProblem}`);
      for (const name of ['sse', 'graphql-sse', 'graphql-ws']) {
        if (r[name].missing) problems.push(`graphql/latency: ${r[name].missing} events never reached the ${name} consumer`);
        if (r[name].seqGaps) problems.push(`graphql/latency: ${r[name].seqGaps} gaps on the ${name} consumer`);
      }
      out.latency = {
        figure: { sse: r.sse.latencyMs, graphqlSse: r['graphql-sse'].latencyMs, graphqlWs: r['graphql-ws'].latencyMs, p99RatioToSse: ratios },
        unit: 'ms (publish sent → event received)',
        target: GRAPHQL_TARGETS.latency,
        pass: ratios.sse <= GRAPHQL_TARGETS.latency.p99Ratio && ratios.ws <= GRAPHQL_TARGETS.latency.p99Ratio && problems.length === 0,
        peakRssMiB: (await hub.memory()).peakRssMiB,
        parameters: { sync: 'full', ...p, consumers: 'one of each, at once' },
        details: r,
        problems,
      };
    } finally {
      await hub.stop();
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await graphqlBench({ quick: process.argv.includes('--quick') });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
