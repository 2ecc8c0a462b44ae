import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CONSOLE_ASSETS } from '../../src/api/console/static.js';

describe('the built console (npm run build)', () => {
  const assets = join(CONSOLE_ASSETS, 'assets');

  it('ships its JS under 300 KB gzipped, in files named by their content', () => {
    expect(existsSync(assets), 'run npm run build first').toBe(true);
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    for (const f of js) expect(f).toMatch(/-[A-Za-z0-9_-]{8}\.js$/);
    const gz = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
    expect(gz).toBeLessThan(300 * 1024);
  });

  it('bundles its font and refers to nothing outside the hub', () => {
    const files = readdirSync(assets);
    expect(files.some((f) => /^inter-latin-400-normal-.*\.woff2$/.test(f))).toBe(true);
    for (const f of files.filter((f) => f.endsWith('.css') || f.endsWith('.js'))) {
      const text = readFileSync(join(assets, f), 'utf8');
      expect(text, f).not.toMatch(/url\(\s*["']?https?:/);
      expect(text, f).not.toMatch(/fonts\.googleapis|cdn\.|unpkg\.com|jsdelivr/);
    }
  });
});
