import { HubError } from '../errors.js';

/**
 * The cap on subscriptions one principal may own, across all lists. Creates
 * for one owner run one at a time (on this hub process), so parallel requests
 * cannot all pass the count before any of them is stored.
 */
export class SubscriptionQuota {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(readonly max: number) {}

  /** Run `create` if `owner` owns fewer than `max` of `all()`; a 429 otherwise. */
  admit<T>(owner: string, all: () => Promise<{ owner: string }[]>, create: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(owner) ?? Promise.resolve()).then(async () => {
      const owned = (await all()).filter((s) => s.owner === owner).length;
      if (owned >= this.max) throw tooManySubscriptions(owned, this.max);
      return create();
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(owner, settled);
    void settled.then(() => {
      if (this.queues.get(owner) === settled) this.queues.delete(owner);
    });
    return run;
  }
}

function tooManySubscriptions(owned: number, max: number): HubError {
  return new HubError(
    'rate-limited',
    'too-many-subscriptions',
    'Too many subscriptions',
    `You own ${owned} subscriptions, the most one principal may have (HEROLD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL = ${max}). ` +
      'Delete subscriptions you no longer need (DELETE /subscriptions/{id}; GET /subscriptions lists yours), or ask an admin to raise HEROLD_MAX_SUBSCRIPTIONS_PER_PRINCIPAL.',
    [],
    { limit: max, owned },
  );
}
