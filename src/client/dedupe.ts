/**
 * The (source, id) of the last `size` events handled: a redelivered event
 * (a webhook retried after a lost answer, the same event reaching you twice)
 * is recognised while it is in the window. Memory is bounded: the oldest key
 * leaves when a new one comes.
 */
export class Deduper {
  private readonly keys = new Set<string>();

  constructor(readonly size = 10_000) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('the dedupe window must be a positive integer');
  }

  static key(event: { source: unknown; id: unknown }): string {
    return `${String(event.source)}\u0000${String(event.id)}`;
  }

  has(event: { source: unknown; id: unknown }): boolean {
    return this.keys.has(Deduper.key(event));
  }

  add(event: { source: unknown; id: unknown }): void {
    const key = Deduper.key(event);
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.size) this.keys.delete(this.keys.values().next().value as string);
  }
}
