import { typedAttributeValue } from '../../hub/catalogue/attribute-values.js';
import type { AttributeType } from '../../hub/catalogue/declarations.js';
import { rfc3339Ms } from './scalars.js';

/**
 * The declared extension attributes of one list that one caller's grant
 * serves, by name: what `where: {attr: ...}` is typed and checked against.
 * Only served declarations are here, so a refusal never tells a caller of an
 * attribute its grant hides (a test on one is refused by the hub, by name,
 * like any attribute the grant does not serve).
 */
export interface DeclaredAttributes {
  list: string;
  types: ReadonlyMap<string, AttributeType>;
  /** Whether the caller's grant serves the attribute. */
  serves(name: string): boolean;
}

type Op = 'eq' | 'neq' | 'in' | 'nin' | 'gt' | 'gte' | 'lt' | 'lte' | 'startsWith' | 'endsWith' | 'contains';
type Test = (value: unknown) => boolean;

/** The operators each CloudEvents type takes; `undefined` is an undeclared attribute, compared as text. */
const OPS: Record<AttributeType | 'undeclared', readonly Op[]> = {
  String: ['eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'startsWith', 'endsWith', 'contains'],
  URI: ['eq', 'neq', 'in', 'nin', 'startsWith', 'endsWith', 'contains'],
  Integer: ['eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte'],
  Timestamp: ['eq', 'neq', 'in', 'nin', 'gt', 'gte', 'lt', 'lte'],
  Boolean: ['eq', 'neq'],
  undeclared: ['eq', 'neq', 'in', 'nin', 'startsWith', 'endsWith', 'contains'],
};

/** What a test's argument or an event's value is compared as: a number (Integer, Timestamp as epoch ms), a boolean, or text. */
type Comparable = string | number | boolean;

/** The comparable form of a value of `type`; undefined when it is not one (it then matches only neq and nin). */
function comparable(type: AttributeType | undefined, value: unknown): Comparable | undefined {
  if (type === undefined) return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value === 'string' ? value : undefined;
  const v = typedAttributeValue(type, value);
  return type === 'Timestamp' && typeof v === 'string' ? rfc3339Ms(v) : v;
}

/**
 * One operator's test on an attribute, or the problem with it (an operator
 * the type does not take, an argument of the wrong type). Arguments of a
 * declared type are checked like published values: canonical strings are
 * accepted ("42" for an Integer), Timestamps compare as instants.
 */
export function attributeTest(type: AttributeType | undefined, op: string, arg: unknown): Test | string {
  const ops = OPS[type ?? 'undeclared'];
  if (!(ops as readonly string[]).includes(op)) return `${type ? `${article(type)} ${type} attribute` : 'an undeclared attribute (compared as text)'} takes ${ops.join(', ')}`;
  const arguments_ = op === 'in' || op === 'nin' ? (arg as unknown[]) : [arg];
  const values: Comparable[] = [];
  for (const a of arguments_) {
    const c = typeof a === 'string' && (op === 'startsWith' || op === 'endsWith' || op === 'contains') ? a : comparable(type, a);
    if (c === undefined) return `${JSON.stringify(a)} is not ${type ? `${article(type)} ${type}` : 'a string, integer or boolean'}`;
    values.push(c);
  }
  const of = (v: unknown) => comparable(type, v);
  const [s] = values;
  switch (op as Op) {
    case 'eq':
      return (v) => of(v) === s;
    case 'neq':
      return (v) => of(v) !== s;
    case 'in': {
      const set = new Set(values);
      return (v) => {
        const c = of(v);
        return c !== undefined && set.has(c);
      };
    }
    case 'nin': {
      const set = new Set(values);
      return (v) => {
        const c = of(v);
        return c === undefined || !set.has(c);
      };
    }
    case 'startsWith':
      return (v) => {
        const t = of(v);
        return typeof t === 'string' && t.startsWith(s as string);
      };
    case 'endsWith':
      return (v) => {
        const t = of(v);
        return typeof t === 'string' && t.endsWith(s as string);
      };
    case 'contains':
      return (v) => {
        const t = of(v);
        return typeof t === 'string' && t.includes(s as string);
      };
    case 'gt':
      return (v) => ordered(of(v), s, (c) => c > 0);
    case 'gte':
      return (v) => ordered(of(v), s, (c) => c >= 0);
    case 'lt':
      return (v) => ordered(of(v), s, (c) => c < 0);
    case 'lte':
      return (v) => ordered(of(v), s, (c) => c <= 0);
  }
}

function ordered(v: Comparable | undefined, s: Comparable, holds: (c: number) => boolean): boolean {
  return v !== undefined && typeof v === typeof s && holds(v < s ? -1 : v > s ? 1 : 0);
}

const article = (type: AttributeType) => (type === 'Integer' || type === 'URI' ? 'an' : 'a');
