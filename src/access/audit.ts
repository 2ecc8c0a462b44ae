import type { AuditRow, EventStore } from '../store/types.js';

export type Channel = 'pull' | 'ndjson' | 'sse' | 'event' | 'webhook' | 'amqp' | 'graphql';

/**
 * Records every delivery of events to a principal compactly: one row per
 * contiguous range per (principal, list, channel, scope), written in batches.
 * `scope` is the filter in force, so that "who received events about subject
 * X" can be answered exactly by evaluating it on X's events.
 */
const scopeTexts = new WeakMap<object, string>();

/** The scope as stored; a delivery worker passes the same object every time, so it is serialised once. */
function scopeTextOf(scope: unknown): string {
  if (typeof scope !== 'object' || scope === null) return JSON.stringify(scope);
  let text = scopeTexts.get(scope);
  if (text === undefined) scopeTexts.set(scope, (text = JSON.stringify(scope)));
  return text;
}

const keys = new WeakMap<object, { principal: string; list: string; channel: Channel; key: string }>();

/**
 * A range's key, remembered per scope object: a live stream records a step
 * per commit with the same scope, and a key made once keeps its hash (the
 * scope's text can be long; ten thousand streams would hash it per commit).
 */
function keyOf(principal: string, list: string, channel: Channel, scope: unknown, scopeText: string | null): string {
  const cacheable = typeof scope === 'object' && scope !== null;
  const hit = cacheable ? keys.get(scope) : undefined;
  if (hit && hit.principal === principal && hit.list === list && hit.channel === channel) return hit.key;
  const key = `${principal}\u0000${list}\u0000${channel}\u0000${scopeText}`;
  if (cacheable) keys.set(scope, { principal, list, channel, key });
  return key;
}

export class AuditRecorder {
  private pending = new Map<string, AuditRow>();
  /** Closed ranges waiting for the next batch write. */
  private closed: AuditRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly retentionDays: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.pruneTimer = setInterval(() => void this.prune(), 3_600_000);
    this.pruneTimer.unref();
  }

  record(principal: string, list: string, channel: Channel, seqs: number[], scope: unknown): void {
    if (seqs.length === 0) return;
    const scopeText = scope === undefined ? null : scopeTextOf(scope);
    const key = keyOf(principal, list, channel, scope, scopeText);
    const first = seqs[0];
    const last = seqs[seqs.length - 1];
    const open = this.pending.get(key);
    // Already recorded: the same principal got these events on another stream (a
    // thousand streams of one principal would otherwise write a thousand rows per event).
    if (open && first >= open.firstSeq && last <= open.lastSeq) return;
    // A stream's next write continues the range it is building.
    if (open && first > open.lastSeq) {
      open.lastSeq = last;
      open.count += seqs.length;
      return;
    }
    if (open) this.closed.push(open);
    this.pending.set(key, { at: Date.now(), principal, list, channel, firstSeq: first, lastSeq: last, count: seqs.length, scope: scopeText });
    this.timer ??= setTimeout(() => void this.flush(), 1000);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = [...this.closed, ...this.pending.values()];
    this.closed = [];
    this.pending = new Map();
    if (rows.length > 0) await this.store.appendAudit(rows).catch(this.onError);
  }

  async prune(): Promise<void> {
    await this.store.pruneAudit(Date.now() - this.retentionDays * 86_400_000).catch(this.onError);
  }

  stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    return this.flush();
  }
}
