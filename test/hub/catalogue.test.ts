import { describe, expect, it } from 'vitest';
import { attributeValueProblem } from '../../src/hub/catalogue/attribute-values.js';
import { Catalogue } from '../../src/hub/catalogue/catalogue.js';
import { parseDeclaredCatalogue } from '../../src/hub/catalogue/declared.js';
import { parseTypeSpec } from '../../src/hub/catalogue/declarations.js';
import { HubError } from '../../src/hub/errors.js';
import type { CloudEvent } from '../../src/cloudevents/index.js';
import { embedSchema } from '../../src/hub/catalogue/served-schema.js';
import { SeenCounter } from '../../src/hub/catalogue/seen-counter.js';
import type { CatalogueStore, SeenTypeRecord } from '../../src/store/types.js';

/** An in-memory stand-in with the store's adding semantics, which can be made to fail or to stall. */
class CountingStore {
  rows = new Map<string, SeenTypeRecord>();
  fail = false;
  stall: Promise<void> | null = null;
  async addSeenTypes(rows: SeenTypeRecord[]): Promise<void> {
    await this.stall;
    if (this.fail) throw new Error('database down');
    for (const r of rows) {
      const s = this.rows.get(r.type);
      this.rows.set(r.type, s ? { ...s, count: s.count + r.count, invalid: s.invalid + r.invalid, firstSeen: Math.min(s.firstSeen, r.firstSeen), lastSeen: Math.max(s.lastSeen, r.lastSeen) } : { ...r });
    }
  }
  async seenTypes(): Promise<SeenTypeRecord[]> {
    return [...this.rows.values()];
  }
}

describe('SeenCounter', () => {
  it('keeps counts a failed write could not store, and adds them to the next one', async () => {
    const store = new CountingStore();
    const errors: unknown[] = [];
    const counter = new SeenCounter(store, (e) => errors.push(e));
    counter.count('l', 'a', false, 1);
    counter.count('l', 'a', true, 2);
    store.fail = true;
    await counter.flush();
    expect(errors).toHaveLength(1);
    expect(store.rows.size).toBe(0);
    counter.count('l', 'a', false, 3);
    expect(await counter.seen('l')).toEqual([{ list: 'l', type: 'a', count: 3, invalid: 1, firstSeen: 1, lastSeen: 3 }]);
    store.fail = false;
    await counter.flush();
    expect([...store.rows.values()]).toEqual([{ list: 'l', type: 'a', count: 3, invalid: 1, firstSeen: 1, lastSeen: 3 }]);
    expect(await counter.seen('l')).toEqual([{ list: 'l', type: 'a', count: 3, invalid: 1, firstSeen: 1, lastSeen: 3 }]);
  });

  it('a read while a batch is being written counts it exactly once', async () => {
    const store = new CountingStore();
    const counter = new SeenCounter(store, () => undefined);
    for (let i = 0; i < 5; i++) counter.count('l', 'a', false, i);
    let release!: () => void;
    store.stall = new Promise((r) => (release = r));
    const writing = counter.flush();
    const read = counter.seen('l');
    counter.count('l', 'a', false, 9);
    release();
    await writing;
    expect((await read)[0].count).toBe(6);
    expect((await counter.seen('l'))[0].count).toBe(6);
  });
});

describe('declared attribute values', () => {
  it.each([
    ['String', 'x', true],
    ['String', 1, false],
    ['Integer', 42, true],
    ['Integer', '42', true],
    ['Integer', '042', false],
    ['Integer', 2 ** 31, false],
    ['Integer', 1.5, false],
    ['Boolean', 'true', true],
    ['Boolean', 'yes', false],
    ['Timestamp', '2026-03-01T00:00:00Z', true],
    ['Timestamp', '2026-03-01', false],
    ['URI', 'https://example.com/x', true],
    ['URI', '/relative', false],
  ] as const)('%s %j valid: %s', (type, value, ok) => {
    expect(attributeValueProblem(type, value) === undefined).toBe(ok);
  });
});

describe('catalogue in the config file', () => {
  it('a bad declaration stops the start, naming its place', () => {
    expect(() => parseDeclaredCatalogue({ validate: 'strict' }, 'l', 'f: lists[0]')).toThrow('f: lists[0].validate must be one of off, warn, enforce.');
    expect(() => parseDeclaredCatalogue({ types: { 't.v1': { schema: { type: 'nope' } } } }, 'l', 'f: lists[0]')).toThrow(/f: lists\[0\]\.types\['t\.v1'\]: \/schema is not a usable JSON Schema/);
    expect(() => parseDeclaredCatalogue({ attributes: { fnr: { type: 'String', personalData: 'identifier' } } }, 'l', 'f: lists[0]')).toThrow(/attributes\.fnr: \/legalBasis is required/);
    expect(parseDeclaredCatalogue({ name: 'l' }, 'l', 'x')).toBeUndefined();
  });
});

describe('embedSchema', () => {
  it('points local references at the place the schema is embedded and drops its own base', () => {
    expect(embedSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'urn:x', $defs: { a: { type: 'string' } }, items: { $ref: '#/$defs/a' }, not: { $ref: '#' } }, '/components/schemas/t')).toEqual({
      $defs: { a: { type: 'string' } },
      items: { $ref: '#/components/schemas/t/$defs/a' },
      not: { $ref: '#/components/schemas/t' },
    });
  });
});

describe('schema formats', () => {
  const declarations = (specs: { name: string; spec: unknown }[]) => ({
    catalogueSettings: async () => [{ list: 'l', validate: 'enforce' as const, discoverable: false }],
    declarations: async (kind: 'type' | 'attribute') => (kind === 'type' ? specs.map((s) => ({ list: 'l', updatedAt: 1, ...s })) : []),
  });

  it('a schema stored before formats were checked keeps its unknown format as an annotation, and the rest of it checked', async () => {
    const schema = { type: 'object', required: ['n'], properties: { n: { type: 'string', format: 'postnummer' }, d: { type: 'string', format: 'date' } } };
    expect(parseTypeSpec('t', { schema }).errors).toEqual([{ pointer: '/schema/properties/n/format', message: expect.stringContaining('"postnummer"') }]);
    const catalogue = new Catalogue(declarations([{ name: 't', spec: { schema } }]) as unknown as CatalogueStore);
    await catalogue.load();
    const at = (i: number) => (name?: string) => `/${i}${name === undefined ? '' : `/${name}`}`;
    const event = (data: unknown) => ({ specversion: '1.0', id: 'x', source: '/s', type: 't', data }) as unknown as CloudEvent;
    expect(catalogue.admit('l', [event({ n: 'anything' })], at)).toBeUndefined();
    let refusal: unknown;
    try {
      catalogue.admit('l', [event({ d: '2026-02-30' })], at);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(HubError);
    expect((refusal as HubError).errors).toEqual([
      { pointer: '/0/data/n', message: 'is required by the schema' },
      { pointer: '/0/data/d', message: 'must match format "date"' },
    ]);
  });

  it('in the config file, an unknown format stops the start naming its place', () => {
    expect(() => parseDeclaredCatalogue({ types: { t: { schema: { format: 'dato' } } } }, 'l', 'lists[0]')).toThrow(/lists\[0\]\.types\['t'\]: \/schema\/format "dato" is not a format/);
  });
});
