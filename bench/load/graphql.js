// The GraphQL door against REST, in one load-generator process:
//   kind 'pages':   1,000-event pages read one after another, GraphQL `events(first: 1000)` vs the REST
//                   JSON page, alternating rounds of equal length on one keep-alive connection each;
//   kind 'latency': publish → subscriber latency at a steady rate, with three consumers of the same
//                   events at once: the plain SSE stream, a GraphQL subscription over graphql-sse and
//                   one over graphql-ws. Both ends share this process's clock (performance.now()).
import { get, request } from 'node:http';
import WebSocket from 'ws';
import { agent, post } from '../lib/http.js';
import { eventJson } from '../lib/events.js';
import { pace } from '../lib/pacer.js';
import { onSseMessages } from '../lib/sse.js';
import { CpuWindow, log, percentiles, round, sleep } from '../lib/util.js';

const FIELDS = 'eventid heroldtime heroldprevseq id source specversion type subject time datacontenttype data';

export default async function graphql(p) {
  return p.kind === 'pages' ? pages(p) : latency(p);
}

function getJson(ag, url, path, headers) {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const req = request({ agent: ag, hostname: u.hostname, port: u.port, path: u.pathname + u.search, method: 'GET', headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function pages(p) {
  const { url, list, key, hubPid, events, roundMs = 2000, rounds = 6, first = 1000 } = p;
  const auth = { authorization: `Bearer ${key}` };
  const ag = agent(1);
  const query = `query ($after: String) { events(list: "${list}", first: ${first}, after: $after) { nodes { ${FIELDS} } pageInfo { endCursor hasNextPage } } }`;
  let firstProblem = null;
  // One page per call, wrapping round the list; returns the events it got.
  let restAfter = '0';
  const restPage = async () => {
    const r = await getJson(ag, url, `/lists/${list}/events?after=${restAfter}&limit=${first}`, auth);
    if (r.status !== 200) firstProblem ??= `REST HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    const body = JSON.parse(r.text);
    // Wrap round at the head, as the GraphQL reader does when hasNextPage is false.
    restAfter = body.next === body.head ? '0' : body.next;
    return body.events.length;
  };
  let gqlAfter = null;
  const gqlPage = async () => {
    const r = await post(ag, url, '/graphql', { ...auth, 'content-type': 'application/json' }, JSON.stringify({ query, variables: { after: gqlAfter } }));
    const body = JSON.parse(r.text);
    if (r.status !== 200 || body.errors) firstProblem ??= `GraphQL HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    const c = body.data.events;
    gqlAfter = c.pageInfo.hasNextPage ? c.pageInfo.endCursor : null;
    return c.nodes.length;
  };
  const totals = { rest: { events: 0, ms: 0, pages: 0, pageMs: [] }, graphql: { events: 0, ms: 0, pages: 0, pageMs: [] } };
  const run = async (name, page, ms) => {
    const t = totals[name];
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t0 = performance.now();
      t.events += await page();
      const dt = performance.now() - t0;
      t.ms += dt;
      t.pages++;
      t.pageMs.push(dt);
    }
  };
  // Warm both paths (JIT, live tail), then alternate rounds so drift affects both alike.
  await run('rest', restPage, 500);
  await run('graphql', gqlPage, 500);
  for (const t of Object.values(totals)) Object.assign(t, { events: 0, ms: 0, pages: 0, pageMs: [] });
  const cpu = new CpuWindow(hubPid).start();
  for (let i = 0; i < rounds; i++) {
    await run('rest', restPage, roundMs);
    await run('graphql', gqlPage, roundMs);
  }
  const cpuResult = cpu.stop();
  ag.destroy();
  const rate = (t) => round(t.events / (t.ms / 1000));
  return {
    listEvents: events,
    pageSize: first,
    restEventsPerSecond: rate(totals.rest),
    graphqlEventsPerSecond: rate(totals.graphql),
    ratio: round(rate(totals.graphql) / rate(totals.rest), 2),
    restPageMs: percentiles(totals.rest.pageMs, [50, 99]),
    graphqlPageMs: percentiles(totals.graphql.pageMs, [50, 99]),
    pages: { rest: totals.rest.pages, graphql: totals.graphql.pages },
    graphqlSelection: FIELDS,
    firstProblem,
    cpu: cpuResult,
  };
}

/** A consumer's record of latencies, by event number, for the measured window. */
function consumer(name) {
  return { name, latencies: [], lastEventid: 0, gaps: 0, received: 0, receivedInWindow: 0 };
}

function record(c, eventid, data, now, win) {
  if (c.lastEventid && eventid !== c.lastEventid + 1) c.gaps++;
  c.lastEventid = eventid;
  c.received++;
  if (data.n >= win.from && data.n < win.to) {
    c.latencies.push(now - data.sentAt);
    c.receivedInWindow++;
  }
}

async function latency(p) {
  const { url, list, key, hubPid, rate = 2000, warmupMs = 3000, durationMs = 10_000 } = p;
  const auth = { authorization: `Bearer ${key}` };
  const win = { from: Infinity, to: Infinity };
  const sse = consumer('sse');
  const gsse = consumer('graphql-sse');
  const gws = consumer('graphql-ws');
  const subscription = `subscription { events(list: "${list}", after: "0") { eventid data } }`;

  // Plain SSE (the REST stream).
  const sseReq = await new Promise((resolve, reject) => {
    const req = get(`${url}/lists/${list}/events?after=0`, { headers: { ...auth, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE GET: HTTP ${res.statusCode}`));
      res.socket.setNoDelay(true);
      onSseMessages(res, (msg, now) => {
        const di = msg.indexOf('data: ');
        if (di < 0 || msg.startsWith('event:')) return;
        const ev = JSON.parse(msg.slice(di + 6));
        record(sse, Number(ev.heroldseq), ev.data, now, win);
      });
      resolve(req);
    });
    req.on('error', reject);
  });

  // GraphQL over SSE (graphql-sse, distinct connections mode).
  const gsseReq = await new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: subscription });
    const req = request(`${url}/graphql/stream`, { method: 'POST', headers: { ...auth, accept: 'text/event-stream', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`graphql-sse POST: HTTP ${res.statusCode}`));
      res.socket.setNoDelay(true);
      onSseMessages(res, (msg, now) => {
        const di = msg.indexOf('\ndata: ');
        if (di < 0 || !msg.includes('event: next')) return;
        const r = JSON.parse(msg.slice(di + 7));
        record(gsse, Number(r.data.events.eventid), r.data.events.data, now, win);
      });
      resolve(req);
    });
    req.on('error', reject);
    req.end(body);
  });

  // GraphQL over WebSocket (graphql-transport-ws), spoken directly.
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  await new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (raw) => {
      const now = performance.now();
      const m = JSON.parse(raw.toString());
      if (m.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: subscription } }));
        resolve();
      } else if (m.type === 'next') {
        record(gws, Number(m.payload.data.events.eventid), m.payload.data.events.data, now, win);
      } else if (m.type === 'error') reject(new Error(`graphql-ws: ${JSON.stringify(m.payload)}`));
    });
    ws.once('open', () => {
      ws._socket.setNoDelay(true);
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: auth.authorization } }));
    });
  });

  // The publisher: single structured POSTs, paced.
  const ag = agent(64);
  const headers = { ...auth, 'content-type': 'application/cloudevents+json' };
  let n = 0;
  const inflight = new Set();
  let firstProblem = null;
  let transportErrors = 0;
  const publishOne = () => {
    const myN = n++;
    const sentAt = performance.now();
    const pr = post(ag, url, `/lists/${list}/events`, headers, eventJson(myN, { extra: `"n":${myN},"sentAt":${sentAt}` })).then(
      (r) => {
        if (r.status !== 201) firstProblem ??= `HTTP ${r.status}: ${r.text.slice(0, 300)}`;
      },
      (e) => {
        transportErrors++;
        firstProblem ??= `transport: ${e.message}`;
      },
    );
    inflight.add(pr);
    pr.finally(() => inflight.delete(pr));
  };
  log(`  warm-up ${warmupMs} ms at ${rate}/s`);
  await pace(rate, warmupMs, publishOne);
  await Promise.all([...inflight]);
  await sleep(200);
  win.from = n;
  const cpu = new CpuWindow(hubPid).start();
  log(`  measuring ${durationMs} ms at ${rate}/s`);
  const paced = await pace(rate, durationMs, publishOne);
  win.to = n;
  await Promise.all([...inflight]);
  const all = [sse, gsse, gws];
  const deadline = Date.now() + 5000;
  while (all.some((c) => c.receivedInWindow < win.to - win.from) && Date.now() < deadline) await sleep(20);
  const cpuResult = cpu.stop();
  sseReq.destroy();
  gsseReq.destroy();
  ws.terminate();
  ag.destroy();
  const sent = win.to - win.from;
  const out = { targetRate: rate, achievedRate: round(paced.sent / paced.seconds), sentInWindow: sent, transportErrors, firstProblem, cpu: cpuResult };
  for (const c of all) {
    out[c.name] = { latencyMs: percentiles(c.latencies, [50, 90, 99, 99.9]), receivedInWindow: c.receivedInWindow, missing: sent - c.receivedInWindow, seqGaps: c.gaps };
  }
  return out;
}
