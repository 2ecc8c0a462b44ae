import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/check-imports.mjs (npm run lint:imports) run as CI runs it, on
 * fixture trees: each rule fires on the import that breaks it, at its line,
 * and stays quiet on what is allowed.
 */
const SCRIPT = join(import.meta.dirname, '../../scripts/check-imports.mjs');
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function lint(files: Record<string, string>): Promise<{ code: number; lines: string[] }> {
  const root = mkdtempSync(join(tmpdir(), 'herold-lint-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, root]);
    return { code: 0, lines: stdout.split('\n').filter(Boolean) };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, lines: e.stdout.split('\n').filter(Boolean) };
  }
}

describe('import-boundary lint', () => {
  it('this repository keeps its module boundaries', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT]);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/the module boundaries hold/);
  });

  it('passes a tree that keeps every rule', async () => {
    const r = await lint({
      'src/hub/hub.ts': "import type { EventLog } from '../store/types.js';\nimport { LiveBus } from './live-bus.js';\nimport { compile } from '../cesql/index.js';\n",
      'src/hub/live-bus.ts': 'export class LiveBus {}\n',
      'src/api/app.ts': "import Fastify from 'fastify';\nimport swagger from '@fastify/swagger';\nimport type { ListRecord } from '../store/types.js';\nimport { type Hub } from '../hub/hub.js';\n",
      'src/api/routes/read.ts': "import { type ListRecord, type StoredEvent } from '../../store/types.js';\n// hub.store.getList(x) in a comment is not code\nconst s = 'hub.store.readRange';\n",
      'src/cesql/engine.ts': "import { isUtf8 } from 'node:buffer';\nimport { parse } from './parser.js';\nimport type { Event } from '../cloudevents/event.js';\n",
      'src/cloudevents/amqp.ts': "import type { Options } from 'amqplib';\nexport * from './event.js';\n",
      'src/server.ts': "import { buildApp } from './api/app.js';\nimport { SqliteStore } from './store/sqlite/sqlite-store.js';\n",
    });
    expect(r).toEqual({ code: 0, lines: [] });
  });

  it('hub-no-doors: the hub imports no door, CLI nor Fastify', async () => {
    const r = await lint({
      'src/hub/a.ts': [
        "import { problem } from '../api/problem.js';",
        "import { HttpSink } from '../delivery/sinks/http-sink.js';",
        "import type { Consumer } from '../ingest/amqp/consumer.js';",
        "export { main } from '../cli/main.js';",
        "import type { FastifyInstance } from 'fastify';",
        "import { dispatch } from '../delivery/dispatcher.js';",
      ].join('\n'),
    });
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      'src/hub/a.ts:1: hub-no-doors: src/hub/ imports src/api/problem.ts (a door or the CLI)',
      'src/hub/a.ts:2: hub-no-doors: src/hub/ imports src/delivery/sinks/http-sink.ts (a door or the CLI)',
      'src/hub/a.ts:3: hub-no-doors: src/hub/ imports src/ingest/amqp/consumer.ts (a door or the CLI)',
      'src/hub/a.ts:4: hub-no-doors: src/hub/ imports src/cli/main.ts (a door or the CLI)',
      "src/hub/a.ts:5: hub-no-doors: src/hub/ imports 'fastify'",
      "src/hub/a.ts:5: fastify-only-in-api: 'fastify' imported outside src/api/",
    ]);
  });

  it('fastify-only-in-api: fastify and @fastify/* only under src/api/, type imports included', async () => {
    const r = await lint({
      'src/server.ts': "import type { FastifyInstance } from 'fastify';\n",
      'src/delivery/x.ts': "\n\nconst m = await import('@fastify/swagger');\n",
      'src/api/app.ts': "import Fastify from 'fastify';\n",
    });
    expect(r.lines).toEqual([
      "src/delivery/x.ts:3: fastify-only-in-api: '@fastify/swagger' imported outside src/api/",
      "src/server.ts:1: fastify-only-in-api: 'fastify' imported outside src/api/",
    ]);
  });

  it('doors-no-store: doors import only types, and only from src/store/types.ts', async () => {
    const r = await lint({
      'src/api/routes/read.ts': [
        "import type { StoredEvent } from '../../store/types.js';",
        "import { type ListRecord } from '../../store/types.js';",
        "import { EMPTY } from '../../store/types.js';",
        "import type { SqliteStore } from '../../store/sqlite/sqlite-store.js';",
        'import {',
        '  openStore,',
        "} from '../../store/open-store.js';",
      ].join('\n'),
      'src/delivery/sinks/s.ts': "import { idempotencyKey } from '../../store/idempotency-key.js';\n",
      'src/ingest/i.ts': "import '../store/sqlite/sqlite-store.js';\n",
      'src/delivery/journal.ts': "import { SqliteStore } from '../store/sqlite/sqlite-store.js';\n",
    });
    expect(r.lines).toEqual([
      'src/api/routes/read.ts:3: doors-no-store: a door imports src/store/types.ts (only `import type` from it is allowed)',
      'src/api/routes/read.ts:4: doors-no-store: a door imports src/store/sqlite/sqlite-store.ts',
      'src/api/routes/read.ts:5: doors-no-store: a door imports src/store/open-store.ts',
      'src/delivery/sinks/s.ts:1: doors-no-store: a door imports src/store/idempotency-key.ts',
      'src/ingest/i.ts:1: doors-no-store: a door imports src/store/sqlite/sqlite-store.ts',
    ]);
  });

  it('doors-no-store-access: a door that reaches the store through the hub', async () => {
    const r = await lint({
      'src/api/routes/health.ts': "export const ready = async (hub: any) => {\n  if (await hub.store.ping()) return hub.store?.kind;\n};\n",
      'src/hub/hub.ts': 'export class Hub { ok() { return this.store.ping(); } }\n',
    });
    expect(r.lines).toEqual([
      "src/api/routes/health.ts:2: doors-no-store-access: a door reaches the store (hub.store); use the hub's operations",
      "src/api/routes/health.ts:2: doors-no-store-access: a door reaches the store (hub.store); use the hub's operations",
    ]);
  });

  it('pure-core: CESQL and CloudEvents import each other, pure built-ins and types only', async () => {
    const r = await lint({
      'src/cesql/a.ts': [
        "import { readFileSync } from 'node:fs';",
        "import { hub } from '../hub/hub.js';",
        "import type { ListRecord } from '../store/types.js';",
        "import { createHash } from 'node:crypto';",
        "import pg from 'pg';",
      ].join('\n'),
      'src/cloudevents/b.ts': "import { request } from 'node:http';\nimport { compile } from '../cesql/index.js';\nimport amqp from 'amqplib';\n",
    });
    expect(r.lines).toEqual([
      "src/cesql/a.ts:1: pure-core: src/cesql/ imports 'node:fs' (no I/O or other packages here)",
      'src/cesql/a.ts:2: pure-core: src/cesql/ imports src/hub/hub.ts (only src/cesql/ and src/cloudevents/)',
      'src/cesql/a.ts:3: pure-core: src/cesql/ imports src/store/types.ts (only src/cesql/ and src/cloudevents/)',
      "src/cesql/a.ts:5: pure-core: src/cesql/ imports 'pg' (no I/O or other packages here)",
      "src/cloudevents/b.ts:1: pure-core: src/cloudevents/ imports 'node:http' (no I/O or other packages here)",
      "src/cloudevents/b.ts:3: pure-core: src/cloudevents/ imports 'amqplib' (no I/O or other packages here)",
    ]);
  });

  it('reads multi-line, side-effect, re-export and dynamic imports, and ignores commented-out ones', async () => {
    const r = await lint({
      'src/hub/m.ts': [
        '/* import x from "../api/app.js"; */',
        "// import y from '../api/app.js';",
        'export {',
        '  a,',
        '  b as c,',
        "} from '../api/app.js';",
        "export * as all from '../cli/main.js';",
        "import '../ingest/amqp/index.js';",
        "const later = () => import('../delivery/sinks/http-sink.js');",
        "const url = 'http://example.org/import/from';",
      ].join('\n'),
    });
    expect(r.lines.map((l) => l.split(': ')[0])).toEqual(['src/hub/m.ts:3', 'src/hub/m.ts:7', 'src/hub/m.ts:8', 'src/hub/m.ts:9']);
  });
});
