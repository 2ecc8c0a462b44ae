import { projectEvent, serves } from '../project.js';
import type { SeenTypeRecord } from '../../store/types.js';
import type { DeclaredAttribute, DeclaredType, ListCatalogue } from './list-catalogue.js';
import { fieldsOf, type CatalogueViewer } from './viewer.js';

/**
 * A declared type as the viewer may see it: the data schema only when the
 * viewer's grant serves `data`, examples minimised like served events, and
 * for a principal who only discovers the list, its name and texts.
 */
export function typeView(t: DeclaredType, viewer: CatalogueViewer): Record<string, unknown> {
  const { title, description, schema, examples, deprecated } = t.spec;
  const base = { type: t.type, title, description, deprecated };
  if (viewer.kind === 'discovers') return base;
  const fields = fieldsOf(viewer);
  return {
    ...base,
    schema: serves(fields, 'data') ? schema : undefined,
    examples: examples?.map((e) => projectEvent(e, fields)),
    updatedAt: new Date(t.updatedAt).toISOString(),
  };
}

export function attributeView(a: DeclaredAttribute): Record<string, unknown> {
  return { name: a.name, ...a.spec, updatedAt: new Date(a.updatedAt).toISOString() };
}

/** The declared attributes the viewer's grant serves (none for one who only discovers the list). */
export function visibleAttributes(c: ListCatalogue, viewer: CatalogueViewer): DeclaredAttribute[] {
  if (viewer.kind === 'discovers') return [];
  const fields = fieldsOf(viewer);
  return [...c.attributes.values()].filter((a) => serves(fields, a.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function declaredTypes(c: ListCatalogue): DeclaredType[] {
  return [...c.types.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/**
 * GET /lists/{list}/types: the declared types, and for those who manage or
 * publish to the list, every type seen with its count (undeclared ones too:
 * what providers actually send). Consumers do not get counts: they would tell
 * how many events exist beyond the consumer's own filter.
 */
export function typesView(c: ListCatalogue, viewer: CatalogueViewer, seen: SeenTypeRecord[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { validate: c.validate, types: declaredTypes(c).map((t) => typeView(t, viewer)) };
  if (seen) {
    out.seen = seen.map((s) => ({
      type: s.type,
      declared: c.types.has(s.type),
      count: s.count,
      invalid: s.invalid,
      firstSeen: new Date(s.firstSeen).toISOString(),
      lastSeen: new Date(s.lastSeen).toISOString(),
    }));
  }
  return out;
}
