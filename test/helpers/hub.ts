import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, resolveConfig } from '../../src/config.js';
import { type RunningHub, startHub } from '../../src/server.js';
import { pino } from 'pino';
import { dropSchema, freshSchema, testDatabaseUrl, urlForSchema } from './pg.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef0123456789';

export interface TestHub {
  url: string;
  running: RunningHub;
  dataDir: string;
  /** fetch against the hub with the admin key unless `auth: false`. */
  fetch(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * A real hub on a free port with its own data directory, and with
 * HEROLD_TEST_DATABASE_URL set, its own fresh PostgreSQL schema.
 */
export async function startTestHub(overrides: Partial<Record<keyof Config, string>> = {}): Promise<TestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herold-test-'));
  const pgUrl = testDatabaseUrl();
  const schema = pgUrl && overrides.databaseUrl === undefined ? freshSchema() : undefined;
  const databaseUrl = schema ? urlForSchema(pgUrl!, schema, { pool_max: '4' }) : undefined;
  const config = resolveConfig({ port: '0', dataDir, adminKey: ADMIN_KEY, logLevel: 'silent', sync: 'normal', databaseUrl, ...overrides });
  let running: RunningHub;
  try {
    running = await startHub(config, pino({ level: 'silent' }));
  } catch (error) {
    if (schema) await dropSchema(schema);
    throw error;
  }
  return {
    url: running.url,
    running,
    dataDir,
    fetch(path, init = {}) {
      const { auth = true, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth && !headers.has('authorization')) headers.set('authorization', `Bearer ${ADMIN_KEY}`);
      return fetch(running.url + path, { ...rest, headers });
    },
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    },
  };
}

let counter = 0;
/** A valid structured CloudEvent with a unique id. */
export function makeEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    specversion: '1.0',
    id: `ev-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`,
    source: '/test/source',
    type: 'test.changed',
    subject: `person/${counter % 10}`,
    time: '2026-01-02T03:04:05.678Z',
    datacontenttype: 'application/json',
    data: { n: counter },
    ...overrides,
  };
}

export async function createList(hub: TestHub, name: string, body: Record<string, unknown> = {}): Promise<void> {
  const res = await hub.fetch(`/lists/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`PUT /lists/${name}: ${res.status} ${await res.text()}`);
}

export async function publishStructured(hub: TestHub, list: string, event: Record<string, unknown>): Promise<Response> {
  return hub.fetch(`/lists/${list}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(event),
  });
}

export async function publishBatch(hub: TestHub, list: string, events: Record<string, unknown>[]): Promise<Response> {
  return hub.fetch(`/lists/${list}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(events),
  });
}
