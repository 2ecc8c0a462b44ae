// ~300-byte structured CloudEvents, built as strings so the load generator stays cheap.
import { randomUUID } from 'node:crypto';

export const SOURCE = 'urn:no:bench:folkeregister';
export const TYPE = 'no.bench.folkeregister.person.address.changed.v1';
export const TARGET_BYTES = 300;

const PREFIX_TEMPLATE = (id, subject, time) =>
  `{"specversion":"1.0","id":"${id}","source":"${SOURCE}","type":"${TYPE}","subject":"${subject}","time":"${time}","datacontenttype":"application/json","data":{"register":"folkeregister","change":"bostedsadresse","pad":"`;

// Pad the data so a typical event (random UUID id, 11-digit subject) is ~TARGET_BYTES of JSON.
const SAMPLE = PREFIX_TEMPLATE(randomUUID(), 'person/01234567890', new Date().toISOString()) + '"}}';
const PAD = 'x'.repeat(Math.max(0, TARGET_BYTES - SAMPLE.length));

export function subjectFor(n) {
  // 100,000 distinct persons, so heroldprevseq links are exercised.
  return `person/${String(10_000_000_000 + ((n * 7919) % 100_000)).padStart(11, '0')}`;
}

/** One event with a random UUID id (what real providers send) and the given extra data fields. */
export function eventJson(n, { id = randomUUID(), time = new Date().toISOString(), extra = '' } = {}) {
  const head = PREFIX_TEMPLATE(id, subjectFor(n), time);
  if (!extra) return `${head}${PAD}"}}`;
  // Extra fields (e.g. a send timestamp) replace part of the padding to keep the size near the target.
  const pad = PAD.slice(0, Math.max(0, PAD.length - extra.length - 1));
  return `${head}${pad}",${extra}}}`;
}

/** A JSON array of `size` events for application/cloudevents-batch+json. */
export function batchJson(startN, size) {
  const time = new Date().toISOString();
  const parts = new Array(size);
  for (let i = 0; i < size; i++) parts[i] = eventJson(startN + i, { time });
  return `[${parts.join(',')}]`;
}

export const EVENT_BYTES = Buffer.byteLength(eventJson(0));
