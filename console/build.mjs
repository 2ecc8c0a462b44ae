// Build the console into dist/console: typecheck, then Vite. Skipped when nothing
// it is made from changed since the last build (a content hash, kept beside the
// output), so that `npm run build` (run before every `npm test`) stays fast.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist/console');
const stampFile = join(out, '.inputs-sha256');

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const inputs = [...files(join(root, 'console')), join(root, 'package-lock.json')].sort();
const hash = createHash('sha256');
for (const f of inputs) hash.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
const digest = hash.digest('hex');

if (!process.argv.includes('--force') && existsSync(stampFile) && existsSync(join(out, 'index.html')) && readFileSync(stampFile, 'utf8') === digest) {
  console.log('console: up to date');
} else {
  const started = Date.now();
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'console/tsconfig.json')], { stdio: 'inherit' });
  const { build } = await import('vite');
  await build({ configFile: join(root, 'console/vite.config.ts') });
  writeFileSync(stampFile, digest);
  console.log(`console: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
