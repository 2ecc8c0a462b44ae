// Assemble herold-client from the repository's build: the files the client's CommonJS build holds
// (src/client and the few pure modules it imports) in both forms, ESM from dist/ and CommonJS
// from dist/cjs/. Run after `npm run build` (npm run pack:client does both).
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cjs = join(root, 'dist', 'cjs');
if (!existsSync(join(cjs, 'client', 'index.js'))) throw new Error('no dist/cjs/client: run npm run build first');

const out = join(here, 'dist');
rmSync(out, { recursive: true, force: true });
const walk = (dir) => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
for (const file of walk(cjs)) {
  const rel = relative(cjs, file);
  if (!/\.(js|d\.ts)$/.test(rel)) continue;
  mkdirSync(dirname(join(out, 'cjs', rel)), { recursive: true });
  cpSync(file, join(out, 'cjs', rel));
  const esm = join(root, 'dist', rel);
  if (!existsSync(esm)) throw new Error(`dist/${rel} is missing: the ESM build and the CommonJS build differ`);
  mkdirSync(dirname(join(out, 'esm', rel)), { recursive: true });
  cpSync(esm, join(out, 'esm', rel));
}
writeFileSync(join(out, 'cjs', 'package.json'), '{"type":"commonjs"}\n');
writeFileSync(join(out, 'esm', 'package.json'), '{"type":"module"}\n');
console.log(`herold-client assembled in ${relative(root, out)}`);
