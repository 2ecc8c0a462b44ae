import type { CloudEvent, PointerOf, Violation } from '../../cloudevents/index.js';
import { attributeValueProblem } from './attribute-values.js';
import { dataViolations } from './data-schema.js';
import type { ListCatalogue } from './list-catalogue.js';

/** Where each event of a request is, for pointers (`/3/data/name` in a batch, `/data/name` alone). */
export type PointersAt = (index: number) => PointerOf;

/** Violations of one request's events, and which events had any. */
export interface CatalogueCheck {
  violations: Violation[];
  /** Indexes of the events with at least one violation. */
  failed: number[];
}

/**
 * Check events against a list's catalogue: a type that is not declared, data
 * that its type's schema does not accept, a declared extension attribute with
 * a value of the wrong CloudEvents type. Every violation is named.
 */
export function checkEvents(catalogue: ListCatalogue, events: readonly CloudEvent[], at: PointersAt): CatalogueCheck {
  const violations: Violation[] = [];
  const failed: number[] = [];
  const attributes = catalogue.attributes;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const pointerOf = at(i);
    const before = violations.length;
    const declared = catalogue.types.get(event.type);
    if (!declared) {
      violations.push({ pointer: pointerOf('type'), message: `'${event.type}' is not an event type declared for this list (see GET /lists/{list}/types)` });
    } else if (declared.validator) {
      const data = pointerOf('data');
      violations.push(...dataViolations(declared.validator, event, data));
    }
    if (attributes.size > 0) {
      for (const [name, attribute] of attributes) {
        if (!(name in event)) continue;
        const problem = attributeValueProblem(attribute.spec.type, event[name]);
        if (problem) violations.push({ pointer: pointerOf(name), message: problem });
      }
    }
    if (violations.length > before) failed.push(i);
  }
  return { violations, failed };
}
