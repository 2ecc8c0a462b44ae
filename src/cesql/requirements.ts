/**
 * Necessary conditions read off a filter: "a matching event's `type` is one
 * of these values" (and likewise `source`, `subject`). They let a reader skip
 * a whole batch of events whose values it knows, without evaluating the
 * filter on each one: the hub's live tail summarises each commit's values,
 * so a thousand subscriptions that match nothing in a commit cost a set
 * lookup each instead of a filter run per event.
 *
 * Soundness is all that matters: a requirement may be weaker than the filter
 * (anything not understood yields no requirement), never stronger. Only
 * `type`, `source` and `subject` are used: a valid CloudEvent always carries
 * them as strings, so equality with a string literal is exact string
 * equality in every dialect (no casts, no case folding).
 */
import type { Ast } from './ast.js';
import { parse } from './parser.js';

export const INDEXED_ATTRIBUTES = ['type', 'source', 'subject'] as const;
export type IndexedAttribute = (typeof INDEXED_ATTRIBUTES)[number];

/** For each attribute named: a matching event's value is in the set. No entries: no requirement. */
export type Requirements = Partial<Record<IndexedAttribute, ReadonlySet<string>>>;

export const NO_REQUIREMENTS: Requirements = Object.freeze({});

function isIndexed(name: string): name is IndexedAttribute {
  return name === 'type' || name === 'source' || name === 'subject';
}

/** Both must hold (AND): every attribute either names, values in both sets. */
export function allOfRequirements(a: Requirements, b: Requirements): Requirements {
  const out: Requirements = { ...a };
  for (const name of INDEXED_ATTRIBUTES) {
    const other = b[name];
    if (!other) continue;
    const mine = out[name];
    out[name] = mine ? new Set([...mine].filter((v) => other.has(v))) : other;
  }
  return out;
}

/** One of them holds (OR): only attributes both name, values from either set. */
export function anyOfRequirements(a: Requirements, b: Requirements): Requirements {
  const out: Requirements = {};
  for (const name of INDEXED_ATTRIBUTES) {
    const x = a[name];
    const y = b[name];
    if (x && y) out[name] = new Set([...x, ...y]);
  }
  return out;
}

/** Requirements of a CESQL expression that must evaluate to true. */
export function astRequirements(ast: Ast): Requirements {
  switch (ast.type) {
    case 'binary': {
      if (ast.operator === 'AND') return allOfRequirements(astRequirements(ast.left), astRequirements(ast.right));
      if (ast.operator === 'OR') return anyOfRequirements(astRequirements(ast.left), astRequirements(ast.right));
      if (ast.operator === '=') {
        const [attr, lit] = ast.left.type === 'attribute' ? [ast.left, ast.right] : [ast.right, ast.left];
        if (attr.type === 'attribute' && isIndexed(attr.name) && lit.type === 'literal' && typeof lit.value === 'string') {
          return { [attr.name]: new Set([lit.value]) };
        }
      }
      return NO_REQUIREMENTS;
    }
    case 'in': {
      const operand = ast.operand;
      if (ast.negated || operand.type !== 'attribute' || !isIndexed(operand.name)) return NO_REQUIREMENTS;
      const values: string[] = [];
      for (const item of ast.set) {
        if (item.type !== 'literal' || typeof item.value !== 'string') return NO_REQUIREMENTS;
        values.push(item.value);
      }
      return { [operand.name]: new Set(values) };
    }
    default:
      return NO_REQUIREMENTS;
  }
}

/**
 * Requirements of Subscriptions API filters (an array is an implicit `all`).
 * Meant for filters that compileFilters accepted; anything unexpected yields
 * no requirement rather than an error.
 */
export function filterRequirements(filters: unknown): Requirements {
  try {
    return Array.isArray(filters) ? filters.map(oneFilter).reduce(allOfRequirements, NO_REQUIREMENTS) : NO_REQUIREMENTS;
  } catch {
    return NO_REQUIREMENTS;
  }
}

function oneFilter(filter: unknown): Requirements {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) return NO_REQUIREMENTS;
  const entries = Object.entries(filter as Record<string, unknown>);
  if (entries.length !== 1) return NO_REQUIREMENTS;
  const [dialect, body] = entries[0];
  switch (dialect) {
    case 'exact': {
      if (typeof body !== 'object' || body === null) return NO_REQUIREMENTS;
      let out: Requirements = NO_REQUIREMENTS;
      for (const [name, value] of Object.entries(body)) {
        if (isIndexed(name) && typeof value === 'string') out = allOfRequirements(out, { [name]: new Set([value]) });
      }
      return out;
    }
    case 'all':
      return Array.isArray(body) ? body.map(oneFilter).reduce(allOfRequirements, NO_REQUIREMENTS) : NO_REQUIREMENTS;
    case 'any':
      return Array.isArray(body) && body.length > 0 ? body.map(oneFilter).reduce(anyOfRequirements) : NO_REQUIREMENTS;
    case 'sql':
      return typeof body === 'string' ? astRequirements(parse(body)) : NO_REQUIREMENTS;
    default:
      // prefix, suffix, not: no equality to read off.
      return NO_REQUIREMENTS;
  }
}

/** True when an event with these attribute values could satisfy the requirements. */
export function mayMatch(requirements: Requirements, has: (name: IndexedAttribute, values: ReadonlySet<string>) => boolean): boolean {
  for (const name of INDEXED_ATTRIBUTES) {
    const values = requirements[name];
    if (values && !has(name, values)) return false;
  }
  return true;
}
