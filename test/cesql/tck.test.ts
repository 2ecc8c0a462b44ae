/**
 * Runs every case of the CloudEvents CESQL TCK (../shared/conformance/cesql-tck/*.yaml)
 * against the engine: one vitest test per case, checking the value and the error kind.
 * Without ../shared the suite is skipped loudly, except under CI=true where it fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CesqlParseError, compileCesql, evaluateCesql, parseCesql, type CesqlErrorKind } from '../../src/cesql/index.js';
import { conformanceDir } from '../helpers/shared.js';

const TCK_DIR = conformanceDir('cesql-tck');

interface TckCase {
  name: string;
  expression: string;
  result?: string | number | boolean;
  error?: CesqlErrorKind;
  event?: Record<string, unknown>;
  eventOverrides?: Record<string, unknown>;
}

interface TckFile {
  name: string;
  tests: TckCase[];
}

/** "Any valid event" for cases without `event` (TCK README). */
const BASE_EVENT = {
  specversion: '1.0',
  id: 'tck-event-id',
  source: 'https://example.com/tck',
  type: 'io.cloudevents.tck',
};

function loadTck(dir: string): { files: string[]; suites: { file: string; doc: TckFile }[] } {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  if (files.length === 0) throw new Error(`no TCK files in ${dir}`);
  const suites = files.map((file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const doc = parseYaml(text) as TckFile;
    if (!doc || !Array.isArray(doc.tests)) throw new Error(`${file}: no 'tests' list`);
    // An expression is source text: read it with the failsafe schema so that plain
    // scalars such as `TRUE`, `0` or `-10` stay the strings they are written as.
    const raw = parseYaml(text, { schema: 'failsafe' }) as { tests: { expression: string }[] };
    doc.tests.forEach((tc, i) => (tc.expression = raw.tests[i]!.expression));
    return { file, doc };
  });
  return { files, suites };
}

const { files, suites } = TCK_DIR ? loadTck(TCK_DIR) : { files: [], suites: [] };

it.skipIf(!TCK_DIR)('loads a non-trivial TCK', () => {
  const total = suites.reduce((n, s) => n + s.doc.tests.length, 0);
  expect(files.length).toBeGreaterThanOrEqual(18);
  expect(total).toBeGreaterThan(200);
});

for (const { file, doc } of suites) {
  describe(`${file}: ${doc.name}`, () => {
    doc.tests.forEach((tc, index) => {
      it(`#${index} ${tc.name}: ${tc.expression}`, () => {
        expect(typeof tc.expression).toBe('string');
        const event = tc.event ?? { ...BASE_EVENT, ...(tc.eventOverrides ?? {}) };
        const { value, errors } = evaluateCesql(tc.expression, event);

        if (tc.result !== undefined) expect(value).toStrictEqual(tc.result);
        if (tc.error === undefined) {
          expect(errors).toEqual([]);
        } else {
          expect(errors.length).toBeGreaterThan(0);
          expect(errors.map((e) => e.kind)).toEqual(errors.map(() => tc.error));
        }

        if (tc.error === 'parse') {
          expect(() => parseCesql(tc.expression)).toThrow(CesqlParseError);
        } else {
          // Filter semantics agree with the full evaluation.
          const compiled = compileCesql(tc.expression);
          expect(compiled.matches(event)).toBe(value === true && errors.length === 0);
        }
      });
    });
  });
}
