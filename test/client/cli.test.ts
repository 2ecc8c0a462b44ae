import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type ChildHub, auth, freePort, startChildHub } from '../helpers/child-hub.js';
import { ADMIN_KEY, type TestHub, createList, makeEvent, startTestHub } from '../helpers/hub.js';
import { publishAll } from './helpers.js';

const exec = promisify(execFile);
let hub: TestHub;
const dir = mkdtempSync(join(tmpdir(), 'herold-cli-'));
beforeAll(async () => {
  hub = await startTestHub({ egressAllow: '127.0.0.0/8' });
});
afterAll(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `herold ...` against the test hub; resolves with stdout, stderr and the exit code. */
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

describe('herold admin commands', () => {
  it('lists put, list and get, as a table and as JSON', async () => {
    const put = await herold(['lists', 'put', 'cli.people', '--title', 'People', '--retention-days', '30']);
    expect(put.stdout).toMatch(/^name +cli\.people$/m);
    expect(put.stdout).toMatch(/^retentionDays +30$/m);
    await publishAll(hub, 'cli.people', [makeEvent(), makeEvent()]);
    const table = await herold(['lists', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME +HEAD +RETENTION +OWNER +TITLE$/);
    expect(table.stdout).toMatch(/^cli\.people +2 +30d +- +People$/m);
    expect((await json(['lists', 'get', 'cli.people'])).head).toBe('2');
    const none = await herold(['lists', 'put', 'cli.people', '--retention-days', 'soon']);
    expect(none).toMatchObject({ code: 1 });
    expect(none.stderr).toMatch(/--retention-days must be a positive whole number/);
  }, 120_000);

  // Each CLI call starts a Node process: a dozen of them can outlast the default 30 s on a loaded machine.
  it('keys, publishers, grants and access requests through their verbs', async () => {
    const key = await json(['keys', 'create', '--principal', 'cms']);
    expect(key).toMatchObject({ principal: 'cms', key: expect.any(String) });
    expect((await herold(['keys', 'list'])).stdout).toMatch(new RegExp(`^${key.id} +cms +no `, 'm'));
    expect((await herold(['publishers', 'add', 'cli.people', '--principal', 'hr', '--source', '/hr'])).stdout).toMatch(/^source +\/hr$/m);
    expect((await json(['publishers', 'list', 'cli.people'])).publishers).toEqual([{ principal: 'hr', source: '/hr' }]);
    expect((await herold(['publishers', 'remove', 'cli.people', 'hr'])).stdout.trim()).toBe('removed hr');
    // Access requests are taken only for lists the caller can see: the consumer starts with a narrow grant,
    // asks for more, and the admin approves with fewer fields.
    const starter = await json(['grants', 'create', 'cli.people', '--principal', 'cms', '--filter', "subject = 'person/0'"]);
    const request = await json(['requests', 'create', 'cli.people', '--purpose', 'keep our copy current', '--filter', "type = 'test.changed'"], key.key);
    expect(request.status).toBe('pending');
    expect((await herold(['requests', 'list', '--status', 'pending'])).stdout).toMatch(new RegExp(`^${request.id} +cli\\.people +cms +pending +keep our copy current$`, 'm'));
    const approved = await herold(['requests', 'approve', request.id, '--fields', 'id,source,type']);
    expect(approved.stdout).toMatch(new RegExp(`^${request.id} approved: grant grant_[0-9a-f]{32}$`, 'm'));
    const grants = (await json(['grants', 'list', '--list', 'cli.people'])).grants;
    expect(grants.map((g: { id: string }) => g.id)).toContain(starter.id);
    expect(grants).toEqual(expect.arrayContaining([expect.objectContaining({ principal: 'cms', fields: ['id', 'source', 'type'], filter: "type = 'test.changed'" })]));
    expect(grants).toHaveLength(2);
    expect((await herold(['grants', 'list'], key.key)).stdout).toMatch(/^grant_\w+ +cli\.people +cms +type = 'test\.changed' +id,source,type +-$/m);
    const another = await json(['grants', 'create', 'cli.people', '--principal', 'search', '--filter', '[{"prefix":{"subject":"person/"}}]']);
    expect(another.filter).toEqual([{ prefix: { subject: 'person/' } }]);
    expect((await herold(['grants', 'delete', another.id])).stdout.trim()).toBe(`revoked ${another.id}`);
    const denied = await json(['requests', 'create', 'cli.people', '--purpose', 'everything please'], key.key);
    expect((await herold(['requests', 'deny', denied.id, '--reason', 'not needed'])).stdout.trim()).toBe(`${denied.id} denied`);
    expect((await herold(['keys', 'delete', key.id])).stdout.trim()).toBe(`revoked ${key.id}`);
  }, 120_000);

  it('subscriptions through their verbs, and the audit', async () => {
    const created = await json(['subscriptions', 'create', 'cli.people', '--sink', 'http://127.0.0.1:9/hook', '--no-validate', '--type', 'test.changed', '--retry', '60']);
    expect(created).toMatchObject({ status: 'active', sink: 'http://127.0.0.1:9/hook', secret: expect.stringMatching(/^whsec_/) });
    const id = created.id as string;
    expect((await herold(['subscriptions', 'list', '--list', 'cli.people'])).stdout).toMatch(new RegExp(`^${id} +cli\\.people +active +`, 'm'));
    expect((await herold(['subscriptions', 'get', id])).stdout).toMatch(/^sink +http:\/\/127\.0\.0\.1:9\/hook$/m);
    expect((await herold(['subscriptions', 'disable', id, '--reason', 'maintenance'])).stdout.trim()).toBe(`${id} disabled (maintenance)`);
    expect((await herold(['subscriptions', 'enable', id])).stdout.trim()).toBe(`${id} active`);
    expect((await herold(['subscriptions', 'rotate-secret', id, '--grace-seconds', '0'])).stdout).toMatch(/^secret +whsec_/m);
    expect((await json(['subscriptions', 'update', id, '--sink', 'http://127.0.0.1:9/other', '--no-validate'])).sink).toBe('http://127.0.0.1:9/other');
    expect((await herold(['subscriptions', 'deadletters', id])).stdout.trim()).toBe('(no dead letters)');
    expect(await json(['subscriptions', 'attempts', id])).toHaveProperty('attempts');
    const bad = await herold(['subscriptions', 'redeliver', id]);
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.stderr).toMatch(/exactly one of --seqs, --from/);
    expect((await herold(['subscriptions', 'redeliver', id, '--from', '1', '--to', '2'])).stdout.trim()).toMatch(/^redelivering \d+ event\(s\)$/);
    expect((await herold(['subscriptions', 'delete', id])).stdout.trim()).toBe(`deleted ${id}`);
    const audit = await herold(['audit', '--list', 'cli.people']);
    expect(audit.stdout.split('\n')[0]).toMatch(/^AT +PRINCIPAL +LIST +CHANNEL +SEQS +COUNT$|^\(no audit records\)$/);
  }, 120_000);

  it('errors say what to do next', async () => {
    const missing = await herold(['lists', 'get', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404 .*\nCheck the name; a list or event you may not see answers like one that does not exist\./);
    const badKey = await herold(['keys', 'list'], 'not-a-key');
    expect(badKey.stderr).toMatch(/Pass an API key with --key or HEROLD_KEY/);
    const format = await herold(['lists', 'list', '--output', 'yaml']);
    expect(format.stderr).toMatch(/Allowed choices are table, json/);
    const noOut = await herold(['replay', 'cli.people']);
    expect(noOut).toMatchObject({ code: 2 });
    expect(noOut.stderr).toMatch(/replay needs --out FILE .*\n +herold replay cli\.people --since/);
  });
});

describe('herold replay', () => {
  it('writes the range as NDJSON with a progress bar, filters inside the hub', async () => {
    await createList(hub, 'cli.replay');
    await publishAll(hub, 'cli.replay', Array.from({ length: 300 }, (_, i) => makeEvent({ type: i % 3 ? 'b' : 'a' })));
    const out = join(dir, 'replay.ndjson');
    const r = await herold(['replay', 'cli.replay', '--after', '100', '--type', 'a', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ events: 66, through: '300', out });
    expect(r.stderr).toMatch(/\[#{30}\] 100% 200\/200 seqs/);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(66);
    expect(lines.every((e) => e.type === 'a' && Number(e.heroldseq) > 100)).toBe(true);
  });
});

describe('herold tail across a hub restart', () => {
  let child: ChildHub | undefined;
  afterAll(async () => {
    if (child && child.process.exitCode === null && child.process.signalCode === null) await child.kill();
  });

  it('reconnects and resumes after the last event shown, with nothing shown twice', async () => {
    const dataDir = join(dir, 'tail-hub');
    const port = await freePort();
    child = await startChildHub(dataDir, port);
    await fetch(`${child.url}/lists/live`, { method: 'PUT', headers: auth });
    const publish = async (n: number, from: number) => {
      const batch = Array.from({ length: n }, (_, i) => makeEvent({ id: `e-${from + i}` }));
      const res = await fetch(`${child!.url}/lists/live/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(batch) });
      expect(res.status).toBe(201);
    };
    await publish(3, 1);
    const tail = spawn(process.execPath, [CLI, 'tail', 'live', '--url', child.url, '--key', ADMIN_KEY], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    tail.stdout.on('data', (d) => (out += d));
    tail.stderr.on('data', (d) => (err += d));
    const waitFor = async (probe: () => boolean, what: string) => {
      for (let i = 0; i < 400 && !probe(); i++) await new Promise((r) => setTimeout(r, 25));
      if (!probe()) throw new Error(`timed out waiting for ${what}\nstdout: ${out}\nstderr: ${err}`);
    };
    try {
      await waitFor(() => out.split('\n').filter(Boolean).length === 3, 'the first three events');
      await child.kill('SIGKILL');
      await waitFor(() => /reconnecting in/.test(err), 'a reconnect message');
      child = await startChildHub(dataDir, port);
      await publish(2, 4);
      await waitFor(() => out.split('\n').filter(Boolean).length === 5, 'the events after the restart');
      expect(tail.exitCode).toBe(null);
    } finally {
      tail.kill('SIGINT');
    }
    const ids = out.trim().split('\n').map((l) => /\(\S+ (e-\d+)\)$/.exec(l)?.[1]);
    expect(ids).toEqual(['e-1', 'e-2', 'e-3', 'e-4', 'e-5']);
    expect(err).toMatch(/herold: the hub does not answer; reconnecting in \d+\.\d s, resuming after #3/);
  });
});

describe('herold completion', () => {
  const complete = async (shell: string, line: string[]) => {
    const script = join(dir, `completion.${shell}`);
    writeFileSync(script, (await herold(['completion', 'bash'])).stdout);
    const words = line.map((w) => `'${w}'`).join(' ');
    const { stdout } = await exec('bash', ['-c', `source '${script}'; COMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _herold; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    return stdout.trim().split('\n');
  };

  it('bash completes commands, verbs and options', async () => {
    expect(await complete('bash', ['herold', 'su'])).toEqual(['subscriptions']);
    expect(await complete('bash', ['herold', 'grants', ''])).toEqual(['list', 'get', 'create', 'update', 'expire', 'delete']);
    expect(await complete('bash', ['herold', 'grants', 'create', '--p'])).toEqual(['--principal']);
    expect(await complete('bash', ['herold', 'tail', '--fi'])).toEqual(['--filter']);
  });

  it('zsh gets a native completion function; other shells a usage error', async () => {
    const z = await herold(['completion', 'zsh']);
    expect(z.stdout).toMatch(/^#compdef herold$/m);
    expect(z.stdout).toMatch(/grants\)\n +if \(\( CURRENT == 3 \)\); then\n +words_=\(list get create update expire delete\)/);
    const fish = await herold(['completion', 'fish']);
    expect(fish).toMatchObject({ code: 2 });
    expect(fish.stderr).toMatch(/bash or zsh/);
  });
});
