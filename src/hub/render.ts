import { projectEvent } from './project.js';
import type { StoredEvent } from '../store/types.js';

/**
 * The structured CloudEvent JSON served on every channel: the provider's body
 * exactly as stored, plus the hub's extension attributes. Spliced as text so a
 * read never re-parses or re-serialises the provider's JSON.
 */
export function renderEvent(e: StoredEvent): string {
  const body = e.body;
  let ext = `"heroldseq":"${e.seq}"`;
  if (e.prevSeq !== null) ext += `,"heroldprevseq":"${e.prevSeq}"`;
  ext += `,"heroldtime":"${isoTime(e.time)}"`;
  return body.length > 2 ? `${body.slice(0, -1)},${ext}}` : `{${ext}}`;
}

let lastTime = NaN;
let lastIso = '';

/** The commit time as RFC 3339; the events of one commit share it, so it is made once per commit, not per event. */
function isoTime(time: number): string {
  if (time !== lastTime) {
    lastIso = new Date(time).toISOString();
    lastTime = time;
  }
  return lastIso;
}

const rendered = new WeakMap<StoredEvent, string>();

/**
 * renderEvent, remembered per event object. Live streams read the same
 * objects from the live tail, so ten thousand SSE streams render each new
 * event once instead of ten thousand times. Entries go with the objects.
 */
export function renderShared(e: StoredEvent): string {
  let text = rendered.get(e);
  if (text === undefined) rendered.set(e, (text = renderEvent(e)));
  return text;
}

/** The event as this consumer may see it: whole, or minimised to the grant's fields. */
export function renderFor(e: StoredEvent, fields: readonly string[] | undefined): string {
  if (!fields) return renderEvent(e);
  return JSON.stringify(projectEvent(JSON.parse(renderEvent(e)) as Record<string, unknown>, fields));
}
