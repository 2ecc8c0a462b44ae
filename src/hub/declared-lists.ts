import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { ListInput } from '../store/types.js';
import { type DeclaredCatalogue, parseDeclaredCatalogue } from './catalogue/declared.js';
import { isReservedListName, RESERVED_LIST_PREFIX } from './system-events.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** AMQP ingest for a declared list: Herold consumes `queue` on `url` and publishes as `principal`. */
export interface DeclaredAmqpIngest {
  /** The list the events are appended to. */
  list: string;
  /** The provider's broker: amqp://user:pass@host:port/vhost (configured by the operator, so not subject to the egress policy). */
  url: string;
  /** The queue to consume (it must exist; Herold declares nothing). */
  queue: string;
  /** Who the events are published as (must be a publisher of the list, or an admin). */
  principal: string;
  /** Most unacknowledged messages in hand. */
  prefetch: number;
  /** Where invalid messages go, with the reason in `x-herold-error`. */
  deadLetterExchange?: string;
  deadLetterRoutingKey?: string;
}

export interface DeclaredConfig {
  lists: ListInput[];
  amqpIngest: DeclaredAmqpIngest[];
  /** Lists' event type catalogues (validate, discoverable, types, attributes): see catalogue/declared.ts. */
  catalogues: DeclaredCatalogue[];
}

/**
 * Lists declared in a config file (JSON or YAML), applied at start:
 *   lists:
 *     - name: folkeregister.person
 *       title: Person changes
 */
export async function readDeclaredLists(file: string): Promise<ListInput[]> {
  return (await readDeclaredConfig(file)).lists;
}

/**
 * The lists and, per list, an optional AMQP ingest source:
 *   lists:
 *     - name: hr.person
 *       amqpIngest:
 *         url: ${HR_AMQP_URL}        # amqp(s)://user:pass@host:port/vhost; ${VAR} reads the environment
 *         queue: hr.person.events
 *         principal: hr-system       # default admin
 *         prefetch: 100              # default 100
 *         deadLetterExchange: hr.rejected   # optional: invalid messages go here with x-herold-error
 *         deadLetterRoutingKey: invalid     # optional
 */
export async function readDeclaredConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<DeclaredConfig> {
  let doc: unknown;
  try {
    const text = await readFile(file, 'utf8');
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(`Cannot read the config file ${file}: ${(error as Error).message}. Check the path and its JSON/YAML syntax.`);
  }
  const lists = (doc as { lists?: unknown })?.lists;
  if (lists === undefined) return { lists: [], amqpIngest: [], catalogues: [] };
  if (!Array.isArray(lists)) throw new Error(`${file}: 'lists' must be an array of {name, title?, description?, retentionDays?, amqpIngest?}.`);
  const amqpIngest: DeclaredAmqpIngest[] = [];
  const catalogues: DeclaredCatalogue[] = [];
  const parsed = lists.map((l, i) => {
    const item = l as Record<string, unknown>;
    if (typeof item?.name !== 'string' || !NAME.test(item.name)) {
      throw new Error(`${file}: lists[${i}].name must match [a-z0-9][a-z0-9._-]{0,127}.`);
    }
    if (isReservedListName(item.name)) throw new Error(`${file}: lists[${i}].name '${item.name}': names beginning with '${RESERVED_LIST_PREFIX}' are reserved for the hub.`);
    for (const key of ['title', 'description'] as const) {
      if (item[key] !== undefined && typeof item[key] !== 'string') throw new Error(`${file}: lists[${i}].${key} must be a string.`);
    }
    if (item.retentionDays !== undefined && !(Number.isInteger(item.retentionDays) && (item.retentionDays as number) > 0)) {
      throw new Error(`${file}: lists[${i}].retentionDays must be a positive integer.`);
    }
    if (item.amqpIngest !== undefined) amqpIngest.push(parseAmqpIngest(item.amqpIngest, item.name, `${file}: lists[${i}].amqpIngest`, env));
    const catalogue = parseDeclaredCatalogue(item, item.name, `${file}: lists[${i}]`);
    if (catalogue) catalogues.push(catalogue);
    return {
      name: item.name,
      title: item.title as string | undefined,
      description: item.description as string | undefined,
      retentionDays: item.retentionDays as number | undefined,
    };
  });
  return { lists: parsed, amqpIngest, catalogues };
}

const INGEST_KEYS = new Set(['url', 'queue', 'principal', 'prefetch', 'deadLetterExchange', 'deadLetterRoutingKey']);

function parseAmqpIngest(raw: unknown, list: string, at: string, env: NodeJS.ProcessEnv): DeclaredAmqpIngest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${at} must be an object {url, queue, principal?, prefetch?, deadLetterExchange?, deadLetterRoutingKey?}.`);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!INGEST_KEYS.has(key)) throw new Error(`${at}.${key} is not a known setting (known: ${[...INGEST_KEYS].join(', ')}).`);
  if (typeof o.url !== 'string' || o.url === '') throw new Error(`${at}.url is required: amqp://user:pass@host:port/vhost.`);
  const url = o.url.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new Error(`${at}.url uses \${${name}}, but the environment variable ${name} is not set.`);
    return v;
  });
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'amqp:' && protocol !== 'amqps:') throw new Error(`${at}.url must be an amqp:// or amqps:// URL.`);
  const shortString = (key: string, value: unknown, allowEmpty = false): string => {
    if (typeof value !== 'string' || (!allowEmpty && value === '') || Buffer.byteLength(value, 'utf8') > 255) throw new Error(`${at}.${key} must be a${allowEmpty ? '' : ' non-empty'} string of at most 255 bytes.`);
    return value;
  };
  const out: DeclaredAmqpIngest = { list, url, queue: shortString('queue', o.queue), principal: 'admin', prefetch: 100 };
  if (o.principal !== undefined) {
    if (typeof o.principal !== 'string' || o.principal === '') throw new Error(`${at}.principal must be a non-empty string.`);
    out.principal = o.principal;
  }
  if (o.prefetch !== undefined) {
    if (!Number.isInteger(o.prefetch) || (o.prefetch as number) < 1 || (o.prefetch as number) > 10_000) throw new Error(`${at}.prefetch must be an integer from 1 to 10000.`);
    out.prefetch = o.prefetch as number;
  }
  if (o.deadLetterExchange !== undefined) out.deadLetterExchange = shortString('deadLetterExchange', o.deadLetterExchange, true);
  if (o.deadLetterRoutingKey !== undefined) out.deadLetterRoutingKey = shortString('deadLetterRoutingKey', o.deadLetterRoutingKey, true);
  if (out.deadLetterExchange === '' && out.deadLetterRoutingKey === undefined) {
    throw new Error(`${at}.deadLetterExchange '' (the default exchange) needs deadLetterRoutingKey: the name of the queue for rejected messages.`);
  }
  if (out.deadLetterExchange === '' && out.deadLetterRoutingKey === out.queue) throw new Error(`${at}: rejected messages would go back into the queue they came from.`);
  return out;
}
