/**
 * `import 'herold'` (API.md, "Client package") exports the server entry points for embedding.
 * The package imports itself by name (package.json `exports` self-reference), so this
 * resolves exactly as a program that installed herold would: through dist/ from `npm run build`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ADMIN_KEY } from '../helpers/hub.js';

type Entry = typeof import('../../src/index.js');
// A variable specifier keeps the typecheck independent of a built dist/.
const PACKAGE: string = 'herold';

const dataDir = mkdtempSync(join(tmpdir(), 'herold-entry-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it("import('herold') starts a hub that serves requests and stops", async () => {
  const herold = (await import(PACKAGE)) as Entry;
  expect(Object.keys(herold).sort()).toEqual(['ConfigError', 'configFromEnv', 'createLogger', 'resolveConfig', 'startHub']);

  const config = herold.resolveConfig({ port: '0', host: '127.0.0.1', dataDir, adminKey: ADMIN_KEY, logLevel: 'silent' });
  const hub = await herold.startHub(config);
  try {
    const put = await fetch(`${hub.url}/lists/embedded`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(201);
    const lists = await fetch(`${hub.url}/lists`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect((await lists.json()).lists.map((l: { name: string }) => l.name)).toContain('embedded');
  } finally {
    await hub.close();
  }
  await expect(fetch(`${hub.url}/readyz`)).rejects.toThrow();
});

it('a bad setting is a ConfigError from the package', async () => {
  const herold = (await import(PACKAGE)) as Entry;
  expect(() => herold.resolveConfig({ port: 'eighty' })).toThrow(herold.ConfigError);
});
