import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeroldClient, withDefaults } from '../../src/client/client.js';
import { CLI, type ChildHub, freePort, startChildHub } from '../helpers/child-hub.js';
import { ADMIN_KEY } from '../helpers/hub.js';
import { serve } from './helpers-server.js';

/**
 * The CLI's catalogue and lifecycle commands against a real hub child process (the built CLI's
 * `serve`), each command a process of its own. Generous timeouts: every call starts Node on a
 * machine that is often loaded.
 */
const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'herold-cli-lifecycle-'));
let hub: ChildHub;
let receiver: Awaited<ReturnType<typeof serve>>;
let admin: HeroldClient;
const hooks: string[] = [];

beforeAll(async () => {
  // A webhook receiver that answers the validation handshake and takes every delivery.
  receiver = await serve((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'webhook-allowed-origin': String(req.headers['webhook-request-origin'] ?? '*') }).end();
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hooks.push(body);
      res.writeHead(204).end();
    });
  });
  hub = await startChildHub(join(dir, 'data'), await freePort(), { HEROLD_EGRESS_ALLOW: '127.0.0.0/8' });
  admin = new HeroldClient({ url: hub.url, key: ADMIN_KEY });
}, 60_000);
afterAll(async () => {
  await hub?.kill('SIGTERM');
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function herold(args: string[], key = ADMIN_KEY): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], { env: { ...process.env, HEROLD_URL: hub.url, HEROLD_KEY: key } });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}
const json = async (args: string[], key?: string) => {
  const r = await herold([...args, '--output', 'json'], key);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('herold catalogue commands', () => {
  it('types, attributes, registry and asyncapi, as tables and as JSON', async () => {
    await admin.putList('cat.people', { title: 'People' });
    await admin.putType('cat.people', 'no.example.person.changed', { title: { en: 'A person changed', nb: 'En person er endret' }, schema: { type: 'object' } });
    await admin.putAttribute('cat.people', 'department', { type: 'String', description: 'The department', personalData: 'none' });
    await admin.publish('cat.people', withDefaults({ source: '/hr', type: 'no.example.person.changed', subject: 'person/1', department: 'IT' }));
    await admin.publish('cat.people', withDefaults({ source: '/hr', type: 'no.example.person.photo', subject: 'person/1' }));

    // An admin sees what is declared and what publishers send (the journal is written every two seconds; the answer adds what is not yet).
    const types = await herold(['types', 'list', 'cat.people']);
    expect(types.code, types.stderr).toBe(0);
    const lines = types.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TYPE +DECLARED +SEEN +INVALID +LAST SEEN +TITLE$/);
    expect(types.stdout).toMatch(/^no\.example\.person\.changed +yes +1 +0 +\d{4}-\d\d-\d\dT\S+ +A person changed$/m);
    expect(types.stdout).toMatch(/^no\.example\.person\.photo +no +1 +0 +\S+ +-$/m);
    expect(lines.at(-1)).toBe('validate: off');
    const asJson = await json(['types', 'list', 'cat.people']);
    expect(asJson.types.map((t: { type: string }) => t.type)).toEqual(['no.example.person.changed']);

    // A consumer sees the declared types only.
    const consumer = await json(['keys', 'create', '--principal', 'cat-reader']);
    await json(['grants', 'create', 'cat.people', '--principal', 'cat-reader']);
    const theirs = await herold(['types', 'list', 'cat.people'], consumer.key);
    expect(theirs.stdout.split('\n')[0]).toMatch(/^TYPE +DECLARED +TITLE$/);
    expect(theirs.stdout).not.toMatch(/photo/);

    const attributes = await herold(['attributes', 'list', 'cat.people']);
    expect(attributes.stdout).toMatch(/^NAME +TYPE +PERSONAL DATA +LEGAL BASIS +DESCRIPTION$/m);
    expect(attributes.stdout).toMatch(/^department +String +none +- +The department$/m);
    expect((await json(['attributes', 'list', 'cat.people'])).attributes).toEqual([expect.objectContaining({ name: 'department', type: 'String' })]);

    const registry = await herold(['registry'], consumer.key);
    expect(registry.stdout.split('\n')[0]).toMatch(/^LIST +TYPES +RECEIVE BY +NAME$/);
    expect(registry.stdout).toMatch(/^cat\.people +1 +pull,sse,webhook,amqp +People$/m);
    expect((await json(['registry'])).messagegroups['cat.people'].messagescount).toBe(1);

    const asyncapi = await herold(['asyncapi', 'cat.people'], consumer.key);
    expect(asyncapi.stdout).toMatch(/^asyncapi +3\.0\.0$/m);
    expect(asyncapi.stdout).toMatch(/^no\.example\.person\.changed +A person changed$/m);
    expect(asyncapi.stdout).toMatch(/herold asyncapi cat\.people --output json$/m);
    expect((await json(['asyncapi', 'cat.people'])).asyncapi).toBe('3.0.0');

    const missing = await herold(['types', 'list', 'cat.nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 .*\nCheck the name/);
  }, 180_000);
});

describe('herold lifecycle commands', () => {
  it('grants get, create with an end, update (edit), expire', async () => {
    await admin.putList('life.people', {});
    const created = await json(['grants', 'create', 'life.people', '--principal', 'cms', '--filter', "subject LIKE 'person/%'", '--expires-in', '30d']);
    const days = (Date.parse(created.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const got = await herold(['grants', 'get', created.id]);
    expect(got.stdout).toMatch(new RegExp(`^id +${created.id}$`, 'm'));
    expect(got.stdout).toMatch(/^filter +subject LIKE 'person\/%'$/m);
    expect(got.stdout).toMatch(/^expiresAt +\d{4}-/m);

    const narrowed = await json(['grants', 'update', created.id, '--fields', 'id,source,type', '--no-filter', '--no-expires']);
    expect(narrowed).toMatchObject({ id: created.id, fields: ['id', 'source', 'type'], filter: null, expiresAt: null });
    const widened = await json(['grants', 'edit', created.id, '--all-fields']);
    expect(widened.fields).toBeNull();

    const expired = await herold(['grants', 'expire', created.id, '--at', '2031-01-01T00:00:00Z']);
    expect(expired.stdout.trim()).toBe(`${created.id} ends 2031-01-01T00:00:00.000Z`);
    expect((await herold(['grants', 'list', '--list', 'life.people'])).stdout).toMatch(new RegExp(`^${created.id} +life\\.people +cms +- +- +2031-01-01T00:00:00\\.000Z$`, 'm'));

    // Errors that say what to type instead.
    const past = await herold(['grants', 'expire', created.id, '--at', '2020-01-01T00:00:00Z']);
    expect(past.code).toBe(1);
    expect(past.stderr).toContain(`is not in the future; to end access now: herold grants delete ${created.id}`);
    const when = await herold(['grants', 'expire', created.id]);
    expect(when.stderr).toMatch(/say when: --at 2027-01-01T00:00:00Z or --in 90d/);
    const badIn = await herold(['grants', 'expire', created.id, '--in', 'soon']);
    expect(badIn.stderr).toMatch(/--in takes a positive number of minutes, hours or days, e.g. 30m, 12h or 90d; got 'soon'/);
    const badAt = await herold(['grants', 'create', 'life.people', '--principal', 'x', '--expires-at', 'tomorrow']);
    expect(badAt.stderr).toMatch(/--expires-at takes an RFC 3339 time such as 2027-01-01T00:00:00Z; got 'tomorrow'/);
    const nothing = await herold(['grants', 'update', created.id]);
    expect(nothing.stderr).toMatch(/nothing to change: give --filter/);
    const gone = await herold(['grants', 'get', 'grant_00000000000000000000000000000000']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/404/);
  }, 180_000);

  it('requests get', async () => {
    await admin.putList('life.open', { discoverable: true });
    const key = await json(['keys', 'create', '--principal', 'asker']);
    const request = await json(['requests', 'create', 'life.open', '--purpose', 'newsletter'], key.key);
    const got = await herold(['requests', 'get', request.id], key.key);
    expect(got.stdout).toMatch(/^purpose +newsletter$/m);
    expect(got.stdout).toMatch(/^status +pending$/m);
  }, 120_000);

  it('subscriptions test and redeliver by time; usage; lists delete with and without --force', async () => {
    await admin.putList('life.hooks', {});
    const sub = await json(['subscriptions', 'create', 'life.hooks', '--sink', `${receiver.url}/hook`, '--start', '0']);
    const test = await herold(['subscriptions', 'test', sub.id]);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout.split('\n')[0]).toMatch(/^OUTCOME +STATUS +MS +ERROR$/);
    expect(test.stdout).toMatch(/^success +204 +\d+ +-$/m);
    expect(hooks.some((h) => h.includes('"type":"herold.test"'))).toBe(true);
    expect((await json(['subscriptions', 'test', sub.id])).outcome).toBe('success');

    const before = new Date(Date.now() - 60_000).toISOString();
    await admin.publishBatch('life.hooks', [
      withDefaults({ source: '/hr', type: 'no.example.person.changed', subject: 'person/1' }),
      withDefaults({ source: '/hr', type: 'no.example.person.changed', subject: 'person/2' }),
    ]);
    await until(async () => (hooks.filter((h) => h.includes('person/')).length >= 2 ? true : undefined), 'the two deliveries');
    const again = await herold(['subscriptions', 'redeliver', sub.id, '--since', before]);
    expect(again.stdout.trim()).toBe('redelivering 2 event(s)');
    await until(async () => (hooks.filter((h) => h.includes('person/')).length >= 4 ? true : undefined), 'the two redeliveries');
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await herold(['subscriptions', 'redeliver', sub.id, '--since', future])).stdout.trim()).toBe('redelivering 0 event(s)');
    const mixed = await herold(['subscriptions', 'redeliver', sub.id, '--since', before, '--seqs', '1']);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/give exactly one of --seqs, --from \(with optional --to\), --since \(with optional --until\) or --deadletters/);

    // Usage counts deliveries per day, principal, list and channel (recorded in the background). The
    // audit writes a range once per second, and a redelivery of seqs it already holds open in that
    // second is the same record, so the two events count at least once each, and at most twice.
    const rows = await until(async () => {
      const usage = await admin.usage({ list: 'life.hooks' });
      return usage.some((r) => r.channel === 'webhook' && r.events >= 2) ? usage : undefined;
    }, 'usage of the webhook deliveries');
    const usage = await herold(['usage', '--list', 'life.hooks']);
    expect(usage.stdout.split('\n')[0]).toMatch(/^DAY +PRINCIPAL +LIST +CHANNEL +EVENTS$/);
    const row = rows.find((r) => r.channel === 'webhook')!;
    expect(usage.stdout).toMatch(new RegExp(`^${row.day} +${row.principal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +life\\.hooks +webhook +\\d+$`, 'm'));
    expect(usage.stdout).toMatch(/^total \d+ event\(s\)$/m);
    expect((await json(['usage', '--list', 'life.hooks'])).usage).toEqual(expect.arrayContaining([expect.objectContaining({ list: 'life.hooks', channel: 'webhook' })]));
    expect((await herold(['usage', '--list', 'life.hooks', '--since', future])).stdout.trim()).toBe('(nothing delivered in this window)');
    const badSince = await herold(['usage', '--since', 'yesterday']);
    expect(badSince.code).toBe(1);
    expect(badSince.stderr).toMatch(/since must be an RFC 3339 timestamp/);

    // A list with subscriptions is deleted only with --force, and the error says so.
    const refused = await herold(['lists', 'delete', 'life.hooks']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/409/);
    expect(refused.stderr).toContain("See them with 'herold subscriptions list --list life.hooks' and delete them, or run 'herold lists delete life.hooks --force'");
    expect((await admin.getList('life.hooks')).name).toBe('life.hooks');
    const forced = await herold(['lists', 'delete', 'life.hooks', '--force']);
    expect(forced.stdout.trim()).toBe('deleted life.hooks (and its subscriptions)');
    expect((await herold(['lists', 'get', 'life.hooks'])).code).toBe(1);
    expect((await herold(['subscriptions', 'get', sub.id])).code).toBe(1);
    await admin.putList('life.empty', {});
    expect(await json(['lists', 'delete', 'life.empty'])).toEqual({ deleted: 'life.empty' });
  }, 240_000);

  it('completion knows the new commands and verbs', async () => {
    const { stdout: bash } = await exec(process.execPath, [CLI, 'completion', 'bash']);
    expect(bash).toMatch(/^ {4}1\) words=".*\btypes attributes registry asyncapi\b.*" ;;$/m);
    expect(bash).toMatch(/words="list get create update expire delete"/);
    expect(bash).toMatch(/ usage\) words="--principal --list --since --until --url --key --output -o" ;;/);
    expect(bash).toMatch(/ redeliver\) words="--seqs --from --to --since --until --deadletters /);
    const { stdout: zsh } = await exec(process.execPath, [CLI, 'completion', 'zsh']);
    expect(zsh).toMatch(/words_=\(list get put delete\)/);
    expect(zsh).toMatch(/ test\) words_=\(--url --key --output -o\) ;;/);
  }, 60_000);
});
