import { filterRequirements } from '../../cesql/index.js';
import { subscriptionAttributes, type EventQuery } from '../caller-query.js';
import { compileSubscriptionPredicate, type SubscriptionSpec } from './spec.js';

/**
 * A subscription as a reader's query: `types` and `source` go into the
 * store's exact match, `filters` become the caller's filter. A subscription
 * is read through the same scoped read as every other door, under its
 * owner's scope, and may filter only on attributes the owner is served.
 */
export function subscriptionQuery(spec: Pick<SubscriptionSpec, 'types' | 'source' | 'filters'>): Omit<EventQuery, 'after'> {
  const predicate = compileSubscriptionPredicate({ filters: spec.filters });
  const attributes = subscriptionAttributes(spec);
  return {
    types: spec.types,
    sources: spec.source === undefined ? undefined : [spec.source],
    filter: {
      predicate: predicate ?? (() => true),
      attributes,
      requires: filterRequirements(spec.filters),
      pointer: '/filters',
      audit: { subscription: { types: spec.types, source: spec.source, filters: spec.filters } },
    },
  };
}
