#!/usr/bin/env node
// The catalogue check alone, in one process (no HTTP, no store): `node --expose-gc bench/catalogue-check.js`
// after `npm run build`. Times Catalogue.admit on the bench's 1,000-event batches (parsed once, as the
// publish route parses them), with the bench type's schema, and with declared attributes as well;
// against JSON.parse of the same batch, the part of ingest every event pays anyway. Prints one JSON line.
import { structuredPointers } from '../dist/cloudevents/validate.js';
import { Catalogue } from '../dist/hub/catalogue/catalogue.js';
import { BENCH_TYPE_DECLARATION } from './lib/catalogue.js';
import { TYPE, batchJson } from './lib/events.js';

const BATCH = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ITERATIONS = Number(process.env.ITERATIONS ?? 1000);

const memoryStore = {
  catalogueSettings: async () => [],
  putCatalogueSettings: async () => undefined,
  declarations: async () => [],
  putDeclaration: async () => undefined,
  deleteDeclaration: async () => true,
  addSeenTypes: async () => undefined,
  seenTypes: async () => [],
};

const catalogue = new Catalogue(memoryStore);
await catalogue.putType('bench', TYPE, BENCH_TYPE_DECLARATION);
await catalogue.putSettings('bench', { validate: 'enforce' });
await catalogue.putType('attrs', TYPE, BENCH_TYPE_DECLARATION);
await catalogue.putAttribute('attrs', 'kommunekode', { type: 'String', personalData: 'identifier', legalBasis: 'bench' });
await catalogue.putAttribute('attrs', 'alder', { type: 'Integer', personalData: 'none' });
await catalogue.putSettings('attrs', { validate: 'enforce' });

const texts = Array.from({ length: 8 }, (_, i) => batchJson(i * BATCH, BATCH));
const batches = texts.map((t) => JSON.parse(t));
// Parsed from text, as the door parses them (objects built by spread are slower to read).
const withAttributes = texts.map((t) => JSON.parse(t.replace(/"subject":/g, () => `"kommunekode":"0301","alder":42,"subject":`)));
// The batch route's pointers (src/api/routes/publish.ts pointersIn).
const at = (i) => structuredPointers(`/${i}`);

function time(fn) {
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  for (let n = 0; n < ITERATIONS; n++) fn(n);
  return Number(process.hrtime.bigint() - start) / (ITERATIONS * BATCH); // ns per event
}

const cases = {
  parse: (n) => JSON.parse(texts[n & 7]),
  enforce: (n) => {
    if (catalogue.admit('bench', batches[n & 7], at) !== undefined) throw new Error('the bench events must pass');
  },
  enforceWithAttributes: (n) => {
    if (catalogue.admit('attrs', withAttributes[n & 7], at) !== undefined) throw new Error('the bench events must pass');
  },
};
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(cases)) samples[k].push(time(fn));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ns = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.round(median(xs))]));
// Bytes allocated per event (heap growth over 100 batches, collected before): the whole check, and
// the compiled schema alone on the same data (what Ajv allocates), so that the difference is ours.
const allocated = (fn) => {
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let n = 0; n < 100; n++) fn(n);
  return Math.round((process.memoryUsage().heapUsed - before) / (100 * BATCH));
};
const validate = catalogue.of('bench').types.get(TYPE).validator.validate;
const bytes = {
  enforce: allocated((n) => catalogue.admit('bench', batches[n & 7], at)),
  ajvAlone: allocated((n) => {
    const b = batches[n & 7];
    for (let i = 0; i < b.length; i++) validate(b[i].data);
  }),
};
process.stdout.write(JSON.stringify({ nsPerEvent: ns, checkOverParse: Math.round((ns.enforce / ns.parse) * 1000) / 1000, bytesAllocatedPerEvent: bytes, node: process.version }) + '\n');
