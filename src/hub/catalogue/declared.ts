import type { ValidateMode } from '../../store/types.js';
import type { Catalogue } from './catalogue.js';
import { releaseDataSchema } from './data-schema.js';
import { attributeNameProblem, parseAttributeSpec, parseTypeSpec, typeNameProblem } from './declarations.js';

/** A list's catalogue as declared in the config file (applied at every start). */
export interface DeclaredCatalogue {
  list: string;
  validate?: ValidateMode;
  discoverable?: boolean;
  types: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

const MODES = ['off', 'warn', 'enforce'];

/**
 * The catalogue members of one declared list, checked now so that a bad
 * file stops the start with the place of the problem:
 *   validate: enforce          # off | warn | enforce
 *   discoverable: true
 *   attributes:
 *     kommunekode: {type: String, personalData: identifier, legalBasis: "..."}
 *   types:
 *     cpr.person.flyttet: {title: {nb: ...}, schema: {...}, examples: [...]}
 */
export function parseDeclaredCatalogue(item: Record<string, unknown>, list: string, at: string): DeclaredCatalogue | undefined {
  const { validate, discoverable, types, attributes } = item;
  if (validate === undefined && discoverable === undefined && types === undefined && attributes === undefined) return undefined;
  if (validate !== undefined && !MODES.includes(validate as string)) throw new Error(`${at}.validate must be one of ${MODES.join(', ')}.`);
  if (discoverable !== undefined && typeof discoverable !== 'boolean') throw new Error(`${at}.discoverable must be true or false.`);
  const map = (v: unknown, key: string): Record<string, unknown> => {
    if (v === undefined) return {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${at}.${key} must be a map from names to declarations.`);
    return v as Record<string, unknown>;
  };
  const declaredTypes = map(types, 'types');
  for (const [type, spec] of Object.entries(declaredTypes)) {
    const problem = typeNameProblem(type) ?? typeSpecProblem(type, spec);
    if (problem) throw new Error(`${at}.types['${type}']: ${problem}.`);
  }
  const declaredAttributes = map(attributes, 'attributes');
  for (const [name, spec] of Object.entries(declaredAttributes)) {
    const problem = attributeNameProblem(name) ?? parseAttributeSpec(spec).errors.map((e) => `${e.pointer || '(declaration)'} ${e.message}`).join('; ');
    if (problem) throw new Error(`${at}.attributes.${name}: ${problem}.`);
  }
  return { list, validate: validate as ValidateMode | undefined, discoverable: discoverable as boolean | undefined, types: declaredTypes, attributes: declaredAttributes };
}

/** What is wrong with a declared type ('' if nothing); the schema compiled to check it is let go. */
function typeSpecProblem(type: string, spec: unknown): string {
  const { validator, errors } = parseTypeSpec(type, spec);
  if (validator) releaseDataSchema(validator);
  return errors.map((e) => `${e.pointer || '(declaration)'} ${e.message}`).join('; ');
}

/** Apply a declared catalogue: settings, then attributes and types (declarations made through the API stay). */
export async function applyDeclaredCatalogue(catalogue: Catalogue, c: DeclaredCatalogue): Promise<void> {
  if (c.validate !== undefined || c.discoverable !== undefined) await catalogue.putSettings(c.list, { validate: c.validate, discoverable: c.discoverable });
  for (const [name, spec] of Object.entries(c.attributes)) await catalogue.putAttribute(c.list, name, spec);
  for (const [type, spec] of Object.entries(c.types)) await catalogue.putType(c.list, type, spec);
}
