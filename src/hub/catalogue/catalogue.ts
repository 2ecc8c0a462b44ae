import type { CloudEvent, Violation } from '../../cloudevents/index.js';
import type { CatalogueStore, SeenTypeRecord, ValidateMode } from '../../store/types.js';
import { HubError, invalid, notFound } from '../errors.js';
import { checkEvents, type PointersAt } from './check.js';
import { compileDataSchema, releaseDataSchema } from './data-schema.js';
import { attributeNameProblem, parseAttributeSpec, parseTypeSpec, typeNameProblem, type AttributeSpec, type EventTypeSpec } from './declarations.js';
import { emptyCatalogue, type DeclaredAttribute, type DeclaredType, type ListCatalogue } from './list-catalogue.js';
import { SeenCounter } from './seen-counter.js';

/** What publishing a request's events under `warn` found (nothing is refused). */
export interface Admission {
  warnings: Violation[];
  /** Indexes of the events that failed. */
  failed: number[];
}

export interface CatalogueSettings {
  validate: ValidateMode;
  discoverable: boolean;
}

const EMPTY: ListCatalogue = Object.freeze(emptyCatalogue()) as ListCatalogue;

/**
 * The event type catalogue of every list: declared types (with their data
 * schemas compiled once) and extension attributes, how each list checks
 * published events, whether strangers may discover it, and the types
 * actually seen. Held in memory, like access, so that checking a publish
 * costs no query; every change is written to the store first.
 */
export class Catalogue {
  private lists = new Map<string, ListCatalogue>();
  private readonly counter: SeenCounter;

  constructor(
    private readonly store: CatalogueStore,
    onError: (error: unknown) => void = () => undefined,
  ) {
    this.counter = new SeenCounter(store, onError);
  }

  /** Read every list's catalogue from the store (at start, and when another node changed one). */
  async load(): Promise<void> {
    const lists = new Map<string, ListCatalogue>();
    const of = (list: string) => lists.get(list) ?? (lists.set(list, emptyCatalogue()), lists.get(list)!);
    for (const s of await this.store.catalogueSettings()) Object.assign(of(s.list), { validate: s.validate, discoverable: s.discoverable });
    for (const d of await this.store.declarations('type')) {
      const spec = d.spec as EventTypeSpec;
      // Declared before formats were checked, a schema may name one the hub does not know: it stays an annotation.
      const compiled = spec.schema === undefined ? undefined : compileDataSchema(spec.schema, { unknownFormats: 'ignore' });
      of(d.list).types.set(d.name, { type: d.name, spec, updatedAt: d.updatedAt, validator: compiled && !('errors' in compiled) ? compiled : undefined });
    }
    for (const d of await this.store.declarations('attribute')) of(d.list).attributes.set(d.name, { name: d.name, spec: d.spec as AttributeSpec, updatedAt: d.updatedAt });
    const previous = this.lists;
    this.lists = lists;
    for (const c of previous.values()) for (const t of c.types.values()) if (t.validator) releaseDataSchema(t.validator);
  }

  start(): void {
    this.counter.start();
  }

  /** Write the counts of types seen still in memory now (before a list is deleted with them). */
  flushCounts(): Promise<void> {
    return this.counter.flush();
  }

  /** Write the counts still in memory. */
  stop(): Promise<void> {
    return this.counter.stop();
  }

  /** A list's catalogue (an empty one for a list that declares nothing). */
  of(list: string): ListCatalogue {
    return this.lists.get(list) ?? EMPTY;
  }

  settings(list: string): CatalogueSettings {
    const c = this.of(list);
    return { validate: c.validate, discoverable: c.discoverable };
  }

  discoverable(list: string): boolean {
    return this.lists.get(list)?.discoverable === true;
  }

  async putSettings(list: string, change: Partial<CatalogueSettings>): Promise<CatalogueSettings> {
    const next = { ...this.settings(list), ...definedOnly(change) };
    await this.store.putCatalogueSettings({ list, ...next });
    Object.assign(this.mutable(list), next);
    return next;
  }

  // ---- declarations ----------------------------------------------------------

  async putType(list: string, type: string, body: unknown): Promise<{ created: boolean; declared: DeclaredType }> {
    const nameProblem = typeNameProblem(type);
    if (nameProblem) throw invalid(`'${type}' is not a usable event type name: it ${nameProblem}.`, [{ pointer: '/type', message: nameProblem }]);
    const { spec, validator, errors } = parseTypeSpec(type, body);
    if (!spec) throw invalid(`The declaration of type '${type}' is not valid: ${summary(errors)}.`, errors);
    const declared: DeclaredType = { type, spec, validator, updatedAt: Date.now() };
    await this.store.putDeclaration('type', { list, name: type, spec, updatedAt: declared.updatedAt });
    const types = this.mutable(list).types;
    const previous = types.get(type);
    types.set(type, declared);
    if (previous?.validator) releaseDataSchema(previous.validator);
    return { created: !previous, declared };
  }

  getType(list: string, type: string): DeclaredType {
    const t = this.of(list).types.get(type);
    if (!t) throw notFound(`Event type '${type}' of list '${list}'`);
    return t;
  }

  async deleteType(list: string, type: string): Promise<void> {
    const t = this.getType(list, type);
    await this.store.deleteDeclaration('type', list, type);
    this.mutable(list).types.delete(type);
    if (t.validator) releaseDataSchema(t.validator);
  }

  async putAttribute(list: string, name: string, body: unknown): Promise<{ created: boolean; declared: DeclaredAttribute }> {
    const nameProblem = attributeNameProblem(name);
    if (nameProblem) throw invalid(`'${name}' cannot be declared as an extension attribute: it ${nameProblem}.`, [{ pointer: '/name', message: nameProblem }]);
    const { spec, errors } = parseAttributeSpec(body);
    if (!spec) throw invalid(`The declaration of attribute '${name}' is not valid: ${summary(errors)}.`, errors);
    const declared: DeclaredAttribute = { name, spec, updatedAt: Date.now() };
    await this.store.putDeclaration('attribute', { list, name, spec, updatedAt: declared.updatedAt });
    const attributes = this.mutable(list).attributes;
    const created = !attributes.has(name);
    attributes.set(name, declared);
    return { created, declared };
  }

  getAttribute(list: string, name: string): DeclaredAttribute {
    const a = this.of(list).attributes.get(name);
    if (!a) throw notFound(`Attribute '${name}' of list '${list}'`);
    return a;
  }

  async deleteAttribute(list: string, name: string): Promise<void> {
    this.getAttribute(list, name);
    await this.store.deleteDeclaration('attribute', list, name);
    this.mutable(list).attributes.delete(name);
  }

  /**
   * A list's declared extension attributes, by name: what other doors build
   * on (the GraphQL door's typed fields and `where` inputs for a list).
   */
  declaredAttributes(list: string): DeclaredAttribute[] {
    return [...this.of(list).attributes.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  // ---- publishing ------------------------------------------------------------

  /**
   * Check a request's events before they are queued. Under `enforce` any
   * violation refuses the whole request (400, every violation named, nothing
   * stored); under `warn` they are returned; under `off` nothing is checked.
   */
  admit(list: string, events: readonly CloudEvent[], at: PointersAt): Admission | undefined {
    const c = this.lists.get(list);
    if (!c || c.validate === 'off') return undefined;
    const { violations, failed } = checkEvents(c, events, at);
    if (violations.length === 0) return undefined;
    if (c.validate === 'enforce') {
      throw new HubError(
        'invalid',
        'invalid-event',
        'Event does not match the catalogue',
        `List '${list}' accepts only events of its declared types whose data and attributes match their declarations; ` +
          `${failed.length} of ${events.length} event${events.length > 1 ? 's' : ''} did not (${summary(violations)}). Nothing was stored.`,
        violations,
      );
    }
    return { warnings: violations, failed };
  }

  /** Count the events a request added (duplicates are not counted again). */
  appended(list: string, events: readonly CloudEvent[], duplicate: (index: number) => boolean, admission: Admission | undefined): void {
    const now = Date.now();
    const failed = admission && new Set(admission.failed);
    for (let i = 0; i < events.length; i++) if (!duplicate(i)) this.counter.count(list, events[i].type, failed?.has(i) === true, now);
  }

  /** Events committed per type (declared or not), with what is not yet written. */
  seen(list: string): Promise<SeenTypeRecord[]> {
    return this.counter.seen(list);
  }

  private mutable(list: string): ListCatalogue {
    let c = this.lists.get(list);
    if (!c) this.lists.set(list, (c = emptyCatalogue()));
    return c;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function summary(errors: Violation[]): string {
  const shown = errors.slice(0, 3).map((e) => `${e.pointer || '(body)'} ${e.message}`);
  return shown.join('; ') + (errors.length > 3 ? `; and ${errors.length - 3} more` : '');
}
