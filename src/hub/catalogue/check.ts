import type { CloudEvent, PointerOf, Violation } from '../../cloudevents/index.js';
import { attributeValueProblem } from './attribute-values.js';
import { dataViolations } from './data-schema.js';
import type { DeclaredAttribute, DeclaredType, ListCatalogue } from './list-catalogue.js';

/** Where each event of a request is, for pointers (`/3/data/name` in a batch, `/data/name` alone). */
export type PointersAt = (index: number) => PointerOf;

/** Violations of one request's events, and which events had any. */
export interface CatalogueCheck {
  violations: Violation[];
  /** Indexes of the events with at least one violation. */
  failed: number[];
}

const PASSED: CatalogueCheck = Object.freeze({ violations: Object.freeze([]) as unknown as Violation[], failed: Object.freeze([]) as unknown as number[] });

/**
 * Check events against a list's catalogue: a type that is not declared, data
 * that its type's schema does not accept, a declared extension attribute with
 * a value of the wrong CloudEvents type. Every violation is named.
 *
 * This runs on every published event of a list that checks, so an event that
 * passes costs one map lookup, the compiled schema on its `data` (parsed once,
 * by the door) and a test per declared attribute it carries, and allocates
 * nothing here. Only an event that fails is checked again to name each
 * violation with its pointer.
 */
export function checkEvents(catalogue: ListCatalogue, events: readonly CloudEvent[], at: PointersAt): CatalogueCheck {
  const types = catalogue.types;
  const attributes = catalogue.attributes.size > 0 ? [...catalogue.attributes.values()] : undefined;
  let violations: Violation[] | undefined;
  let failed: number[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (passes(types.get(event.type), attributes, event)) continue;
    (violations ??= []).push(...violationsOf(catalogue, event, at(i)));
    (failed ??= []).push(i);
  }
  return violations ? { violations, failed: failed! } : PASSED;
}

function passes(declared: DeclaredType | undefined, attributes: DeclaredAttribute[] | undefined, event: CloudEvent): boolean {
  if (declared === undefined) return false;
  const validator = declared.validator;
  if (validator !== undefined && !('data' in event && validator.validate(event.data))) return false;
  if (attributes !== undefined) {
    for (let a = 0; a < attributes.length; a++) {
      const value = event[attributes[a].name];
      if (value !== undefined && attributeValueProblem(attributes[a].spec.type, value) !== undefined) return false;
    }
  }
  return true;
}

/** Every violation of one event, with its pointer. */
function violationsOf(catalogue: ListCatalogue, event: CloudEvent, pointerOf: PointerOf): Violation[] {
  const violations: Violation[] = [];
  const declared = catalogue.types.get(event.type);
  if (!declared) {
    violations.push({ pointer: pointerOf('type'), message: `'${event.type}' is not an event type declared for this list (see GET /lists/{list}/types)` });
  } else if (declared.validator) {
    violations.push(...dataViolations(declared.validator, event, pointerOf('data')));
  }
  for (const [name, attribute] of catalogue.attributes) {
    if (!(name in event)) continue;
    const problem = attributeValueProblem(attribute.spec.type, event[name]);
    if (problem) violations.push({ pointer: pointerOf(name), message: problem });
  }
  return violations;
}
