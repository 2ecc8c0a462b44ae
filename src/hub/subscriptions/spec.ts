import type { Violation } from '../../cloudevents/event.js';
import { compileFilters, validateFilters } from '../../cesql/index.js';
import { amqpSettingsProblems } from './amqp-settings.js';
import { HubError, invalid } from '../errors.js';
import type { EventPredicate } from '../hub.js';

/**
 * A subscription as its owner describes it, shaped after the CloudEvents
 * Subscriptions API, with Herold's delivery settings in `config`.
 */
export interface SubscriptionSpec {
  types?: string[];
  source?: string;
  filters?: unknown[];
  sink: string;
  protocol: 'HTTP' | 'AMQP';
  protocolsettings: Record<string, unknown>;
  config: DeliveryConfig;
}

export interface DeliveryConfig {
  /** 'head' (only new events) or the seq to start after. */
  start: 'head' | number;
  ordering: 'none' | 'subject';
  mode: 'structured' | 'binary';
  /** Explicit delays in seconds between attempts; absent means the default backoff. */
  retry?: number[];
  /** Seconds per attempt. */
  timeout: number;
  /** Most deliveries in flight at once (ordering 'none'; across subjects for 'subject'). */
  concurrency: number;
}

const CONFIG_KEYS = new Set(['start', 'ordering', 'mode', 'retry', 'timeout', 'concurrency']);
const TOP_KEYS = new Set(['id', 'types', 'source', 'filters', 'sink', 'protocol', 'protocolsettings', 'config']);
const HTTP_SETTINGS = new Set(['headers', 'method', 'validate', 'token']);
const AMQP_SETTINGS = new Set(['exchange', 'routingkey', 'queue', 'declare', 'style', 'mode']);
// Headers the hub sets itself; a subscriber may not override them.
const RESERVED_HEADERS = /^(content-type|content-length|host|authorization|webhook-.*|ce-.*|transfer-encoding|connection)$/i;

/** Who writes the subscription: some settings are for admins only. */
export interface SpecAuthor {
  admin: boolean;
}

/**
 * Check and normalise a subscription body; every problem is reported with its
 * pointer (400), then settings the author may not use (403).
 */
export function parseSubscriptionSpec(input: unknown, author: SpecAuthor): SubscriptionSpec {
  const errors: Violation[] = [];
  const bad = (pointer: string, message: string) => errors.push({ pointer, message });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('A subscription must be a JSON object.', [{ pointer: '', message: 'expected an object' }]);
  }
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!TOP_KEYS.has(key)) bad(`/${key}`, 'is not a known property');

  let types: string[] | undefined;
  if (o.types !== undefined) {
    if (!Array.isArray(o.types) || o.types.length === 0 || o.types.some((t) => typeof t !== 'string' || t === '')) {
      bad('/types', 'must be a non-empty array of event types');
    } else types = o.types as string[];
  }
  let source: string | undefined;
  if (o.source !== undefined) {
    if (typeof o.source !== 'string' || o.source === '') bad('/source', 'must be a non-empty string');
    else source = o.source;
  }
  let filters: unknown[] | undefined;
  if (o.filters !== undefined) {
    if (!Array.isArray(o.filters)) bad('/filters', 'must be an array of filter objects');
    else {
      for (const v of validateFilters(o.filters)) bad(`/filters${v.pointer}`, v.message);
      filters = o.filters;
    }
  }

  const protocol = o.protocol ?? 'HTTP';
  if (protocol !== 'HTTP' && protocol !== 'AMQP') bad('/protocol', "must be 'HTTP' or 'AMQP'");

  if (typeof o.sink !== 'string' || o.sink === '') bad('/sink', 'is required: the URL to deliver to');
  else {
    let url: URL | undefined;
    try {
      url = new URL(o.sink);
    } catch {
      bad('/sink', 'is not a valid URL');
    }
    if (url && protocol === 'HTTP' && url.protocol !== 'http:' && url.protocol !== 'https:') bad('/sink', 'must be an http:// or https:// URL');
    if (url && protocol === 'AMQP' && url.protocol !== 'amqp:' && url.protocol !== 'amqps:') bad('/sink', 'must be an amqp:// or amqps:// URL');
    if (url && protocol === 'HTTP' && (url.username || url.password)) bad('/sink', 'must not contain credentials; use protocolsettings.token');
  }

  const ps = o.protocolsettings ?? {};
  const protocolsettings: Record<string, unknown> = {};
  if (typeof ps !== 'object' || ps === null || Array.isArray(ps)) bad('/protocolsettings', 'must be an object');
  else {
    const allowed = protocol === 'AMQP' ? AMQP_SETTINGS : HTTP_SETTINGS;
    for (const [k, v] of Object.entries(ps)) {
      if (!allowed.has(k)) bad(`/protocolsettings/${k}`, `is not a ${protocol} setting (known: ${[...allowed].join(', ')})`);
      else protocolsettings[k] = v;
    }
    if (protocol === 'HTTP') {
      const p = protocolsettings;
      if (p.method !== undefined && p.method !== 'POST' && p.method !== 'PUT') bad('/protocolsettings/method', "must be 'POST' or 'PUT'");
      if (p.validate !== undefined && typeof p.validate !== 'boolean') bad('/protocolsettings/validate', 'must be a boolean');
      if (p.token !== undefined && (typeof p.token !== 'string' || p.token.length < 1 || /[\r\n]/.test(p.token))) bad('/protocolsettings/token', 'must be a bearer token string');
      if (p.headers !== undefined) {
        if (typeof p.headers !== 'object' || p.headers === null || Array.isArray(p.headers)) bad('/protocolsettings/headers', 'must be an object of header names to values');
        else {
          for (const [h, v] of Object.entries(p.headers)) {
            if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h) || RESERVED_HEADERS.test(h)) bad(`/protocolsettings/headers/${h}`, 'is not a header name you may set');
            else if (typeof v !== 'string' || /[\r\n]/.test(v)) bad(`/protocolsettings/headers/${h}`, 'must be a single-line string');
          }
        }
      }
    }
  }

  const config = parseConfig(o.config, bad);
  if (protocol === 'AMQP' && typeof ps === 'object' && ps !== null && !Array.isArray(ps)) {
    for (const [pointer, message] of amqpSettingsProblems(protocolsettings)) bad(pointer, message);
    // AMQP delivers in binary mode unless told otherwise (protocolsettings.mode or config.mode).
    const explicit = (o.config as Record<string, unknown> | undefined)?.mode;
    const wanted = protocolsettings.mode;
    if (wanted !== undefined && explicit !== undefined && wanted !== explicit) bad('/protocolsettings/mode', `conflicts with config.mode '${String(explicit)}'`);
    if (explicit === undefined) config.mode = wanted === 'structured' ? 'structured' : 'binary';
  }
  if (errors.length > 0) throw invalid(`The subscription is not valid: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}.`, errors);
  // The handshake is the receiver's consent to be called; skipping it would let
  // anyone aim the hub's POSTs at a host that refused them.
  if (protocol === 'HTTP' && protocolsettings.validate === false && !author.admin) {
    throw new HubError(
      'forbidden',
      'forbidden',
      'Forbidden',
      'Only an admin may skip the webhook validation handshake (protocolsettings.validate: false). Leave validate out and have the receiver answer the handshake (OPTIONS with WebHook-Allowed-Origin), or ask an admin to create the subscription.',
      [{ pointer: '/protocolsettings/validate', message: 'false is for admins only' }],
    );
  }
  return { types, source, filters, sink: o.sink as string, protocol: protocol as 'HTTP' | 'AMQP', protocolsettings, config };
}

function parseConfig(raw: unknown, bad: (pointer: string, message: string) => void): DeliveryConfig {
  const c: DeliveryConfig = { start: 'head', ordering: 'none', mode: 'structured', timeout: 15, concurrency: 16 };
  if (raw === undefined) return c;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    bad('/config', 'must be an object');
    return c;
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!CONFIG_KEYS.has(key)) bad(`/config/${key}`, 'is not a known setting');
  if (o.start !== undefined) {
    if (o.start === 'head') c.start = 'head';
    else if (typeof o.start === 'string' && /^\d{1,15}$/.test(o.start)) c.start = Number(o.start);
    else if (typeof o.start === 'number' && Number.isSafeInteger(o.start) && o.start >= 0) c.start = o.start;
    else bad('/config/start', "must be 'head' or a sequence number to start after ('0' for the whole list)");
  }
  if (o.ordering !== undefined) {
    if (o.ordering !== 'none' && o.ordering !== 'subject') bad('/config/ordering', "must be 'none' or 'subject'");
    else c.ordering = o.ordering;
  }
  if (o.mode !== undefined) {
    if (o.mode !== 'structured' && o.mode !== 'binary') bad('/config/mode', "must be 'structured' or 'binary'");
    else c.mode = o.mode;
  }
  if (o.retry !== undefined) {
    if (!Array.isArray(o.retry) || o.retry.length > 100 || o.retry.some((d) => typeof d !== 'number' || !(d >= 0) || d > 7 * 86400)) {
      bad('/config/retry', 'must be an array of at most 100 delays in seconds (0 to 604800)');
    } else c.retry = o.retry as number[];
  }
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== 'number' || !(o.timeout > 0) || o.timeout > 120) bad('/config/timeout', 'must be seconds, more than 0 and at most 120');
    else c.timeout = o.timeout;
  }
  if (o.concurrency !== undefined) {
    if (!Number.isInteger(o.concurrency) || (o.concurrency as number) < 1 || (o.concurrency as number) > 256) bad('/config/concurrency', 'must be an integer from 1 to 256');
    else c.concurrency = o.concurrency as number;
  }
  return c;
}

/** The subscription's own filter (types ∧ source ∧ filters), compiled once. */
export function compileSubscriptionPredicate(spec: Pick<SubscriptionSpec, 'types' | 'source' | 'filters'>): EventPredicate | undefined {
  const parts: EventPredicate[] = [];
  if (spec.types) {
    const types = new Set(spec.types);
    parts.push((e) => types.has(e.type as string));
  }
  if (spec.source !== undefined) {
    const source = spec.source;
    parts.push((e) => e.source === source);
  }
  if (spec.filters && spec.filters.length > 0) parts.push(compileFilters(spec.filters));
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return (e) => parts.every((p) => p(e));
}
