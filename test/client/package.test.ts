/**
 * The packages as users install them: `npm pack`, then a scratch project imports the tarball.
 * herold-client (packages/herold-client) installs with no dependencies at all, from ESM and CJS,
 * with types; the herold tarball resolves `herold`, `herold/client` (ESM and CJS).
 * Both run against a real hub. Needs `npm run build` (pretest does it).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type TestHub, createList, makeEvent, startTestHub } from '../helpers/hub.js';
import { publishAll } from './helpers.js';

const exec = promisify(execFile);
const ROOT = process.cwd();
const TSC = resolve(ROOT, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'herold-pack-'));
let hub: TestHub;

beforeAll(async () => {
  hub = await startTestHub();
  await createList(hub, 'pack');
  await publishAll(hub, 'pack', [makeEvent({ subject: 'person/1' }), makeEvent({ subject: 'person/2' })]);
}, 60_000);
afterAll(async () => {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
});

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  exec(cmd, args, { cwd, env: { ...process.env, ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }, maxBuffer: 10 * 1024 * 1024 });

async function pack(dir: string, args: string[] = []): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work, ...args], dir);
  return join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
}

/** Reads two events, checks a signature, publishes one: the same in ESM and CommonJS. */
const program = (load: string) => `
${load}
const { HUB, KEY } = process.env;
const consumer = new Consumer({ url: HUB, key: KEY, list: 'pack' });
const seqs = [];
for await (const e of consumer.events()) { seqs.push(e.heroldseq); if (seqs.length === 2) break; }
const client = new HeroldClient({ url: HUB, key: KEY });
const publisher = new Publisher({ url: HUB, key: KEY, list: 'pack' });
const receipt = await publisher.publish({ source: '/scratch', type: 'scratch.done' });
await publisher.close();
let verified = false;
try { verifyWebhook({}, '', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'); } catch (e) { verified = e.name === 'WebhookVerificationError'; }
console.log(JSON.stringify({ seqs, stored: (await receipt.stored).seq, head: (await client.getList('pack')).head, verified }));
`;

describe('herold-client, packed and installed alone', () => {
  it('installs with no dependencies and works from ESM and CommonJS, with types', async () => {
    await run(process.execPath, ['packages/herold-client/assemble.mjs'], ROOT);
    const tarball = await pack(join(ROOT, 'packages/herold-client'));
    const scratch = join(work, 'client-scratch');
    mkdirSync(scratch);
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    await run('npm', ['install', '--offline', '--ignore-scripts', '--no-package-lock', tarball], scratch);
    // Nothing but the client: no Fastify, no database drivers (those are optional peers).
    expect(readdirSync(join(scratch, 'node_modules')).filter((f) => !f.startsWith('.'))).toEqual(['herold-client']);

    writeFileSync(join(scratch, 'esm.mjs'), program("import { Consumer, HeroldClient, Publisher, verifyWebhook } from 'herold-client';"));
    writeFileSync(join(scratch, 'cjs.cjs'), `(async () => {${program("const { Consumer, HeroldClient, Publisher, verifyWebhook } = require('herold-client');")}})();`);
    const env = { HUB: hub.url, KEY: ADMIN_KEY };
    const esm = JSON.parse((await run(process.execPath, ['esm.mjs'], scratch, env)).stdout);
    expect(esm).toMatchObject({ seqs: ['1', '2'], stored: '3', head: '3', verified: true });
    const cjs = JSON.parse((await run(process.execPath, ['cjs.cjs'], scratch, env)).stdout);
    expect(cjs).toMatchObject({ seqs: ['1', '2'], stored: '4', head: '4', verified: true });

    // The declarations resolve for both module systems (TypeScript's node16 resolution picks the condition), and they type-check.
    const tsc = (...files: string[]) =>
      run(process.execPath, [TSC, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', resolve(ROOT, 'node_modules/@types'), ...files], scratch);
    const use = (c: string, type: string) => `const c = new ${c}({ url: 'http://x', list: 'l' });\nconst position: ${type} = c.position;\nvoid position;\n`;
    writeFileSync(join(scratch, 'types.mts'), `import { Consumer } from 'herold-client';\n${use('Consumer', 'string | undefined')}`);
    writeFileSync(join(scratch, 'types.cts'), `import hc = require('herold-client');\n${use('hc.Consumer', 'string | undefined')}`);
    await tsc('types.mts', 'types.cts');
    writeFileSync(join(scratch, 'wrong.cts'), `import hc = require('herold-client');\n${use('hc.Consumer', 'number')}`);
    const wrong = await tsc('wrong.cts').catch((e: { stdout: string }) => e);
    expect((wrong as { stdout?: string }).stdout ?? '').toMatch(/Type 'string \| undefined' is not assignable to type 'number'/);
  }, 120_000);
});

describe('the herold tarball', () => {
  it('resolves herold and herold/client from ESM, and herold/client from CommonJS', async () => {
    const tarball = await pack(ROOT, ['--ignore-scripts']);
    const scratch = join(work, 'herold-scratch');
    const pkg = join(scratch, 'node_modules', 'herold');
    mkdirSync(pkg, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components', '1'], scratch);
    // Its dependencies, as an install would have put them beside it.
    const deps = Object.keys((await import(join(ROOT, 'package.json'), { with: { type: 'json' } })).default.dependencies);
    for (const dep of deps) {
      const target = join(scratch, 'node_modules', dep);
      mkdirSync(join(target, '..'), { recursive: true });
      symlinkSync(resolve(ROOT, 'node_modules', dep), target);
    }
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
    writeFileSync(
      join(scratch, 'entry.mjs'),
      "const server = await import('herold'); const client = await import('herold/client');\n" +
        'console.log(JSON.stringify({ server: Object.keys(server).sort(), client: typeof client.Consumer }));\n',
    );
    const esm = JSON.parse((await run(process.execPath, ['entry.mjs'], scratch)).stdout);
    expect(esm).toEqual({ server: ['ConfigError', 'configFromEnv', 'createLogger', 'resolveConfig', 'startHub'], client: 'function' });
    writeFileSync(join(scratch, 'cjs.cjs'), program("const { Consumer, HeroldClient, Publisher, verifyWebhook } = require('herold/client');").replace(/^/, '(async () => {') + '})();');
    const cjs = JSON.parse((await run(process.execPath, ['cjs.cjs'], scratch, { HUB: hub.url, KEY: ADMIN_KEY })).stdout);
    expect(cjs).toMatchObject({ seqs: ['1', '2'], verified: true });
    expect(readdirSync(join(pkg, 'dist', 'cjs'))).toContain('package.json');
  }, 120_000);
});
