/**
 * Runs the CloudEvents HTTP binding conformance scenarios from
 * ../shared/conformance/http-binding/*.feature against parseHttpEvents.
 * Without ../shared the suite is skipped loudly, except under CI=true where it fails.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHttpEvents, type ParsedHttpEvents } from '../../src/cloudevents/index.js';
import { pickles, readFeature, type Step } from './gherkin.js';
import { parseRawHttpRequest, type RawRequest } from './http-request.js';
import { conformanceDir } from '../helpers/shared.js';

const BINDING_DIR = conformanceDir('http-binding');
const LIMITS = { maxEventBytes: 64 * 1024, maxBatchEvents: 1000, maxBatchBytes: 4 * 1024 * 1024 };

interface World {
  request?: RawRequest;
  result?: ParsedHttpEvents;
}

type StepDef = [RegExp, (w: World, step: Step) => void];

function needDoc(step: Step): string {
  if (step.docString === undefined) throw new Error(`step "${step.text}" (line ${step.line}) needs a doc string`);
  return step.docString;
}

const STEPS: StepDef[] = [
  [/^HTTP Protocol Binding is supported$/, () => {}],
  [/^an HTTP request$/, (w, s) => (w.request = parseRawHttpRequest(needDoc(s)))],
  [
    /^parsed as HTTP request$/,
    (w) => {
      if (!w.request) throw new Error('no HTTP request given');
      w.result = parseHttpEvents(w.request.headers, w.request.body, LIMITS);
    },
  ],
  [
    /^the attributes are:$/,
    (w, s) => {
      const table = s.dataTable;
      if (!table || table.length < 2) throw new Error(`step "${s.text}" needs a table with a header row`);
      const [header, ...rows] = table;
      expect(header).toEqual(['key', 'value']);
      expect(w.result?.events).toHaveLength(1);
      const event = w.result!.events[0]!;
      for (const [key, value] of rows) {
        expect(event[key!], `attribute ${key}`).toBeDefined();
        expect(String(event[key!]), `attribute ${key}`).toBe(value);
      }
    },
  ],
  [
    /^the data is equal to the following JSON:$/,
    (w, s) => {
      expect(w.result?.events).toHaveLength(1);
      expect(w.result!.events[0]!.data).toEqual(JSON.parse(needDoc(s)));
    },
  ],
];

const feature = BINDING_DIR ? readFeature(path.join(BINDING_DIR, 'http-protocol-binding.feature')) : undefined;
const scenarios = feature ? pickles(feature) : [];

describe.skipIf(!feature)(`conformance: ${feature?.name ?? 'HTTP protocol binding'}`, () => {
  it('found scenarios in the feature file', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(4);
  });

  for (const sc of scenarios) {
    it(sc.name, () => {
      const world: World = {};
      for (const step of sc.steps) {
        const def = STEPS.find(([re]) => re.test(step.text));
        if (!def) throw new Error(`no step definition for "${step.keyword} ${step.text}" (line ${step.line})`);
        def[1](world, step);
      }
    });
  }
});
