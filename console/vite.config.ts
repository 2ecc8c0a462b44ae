import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The console's build: React through Vite's own esbuild JSX (no plugin), served by
 * the hub at /console. Nothing is inlined (the hub's Content-Security-Policy
 * allows only files from itself), and the output is dist/console.
 */
export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', legalComments: 'none' },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // One bundle, measured against the 300 KB gzip budget by test/console/budget.test.ts.
    chunkSizeWarningLimit: 1000,
    sourcemap: false,
    rollupOptions: {
      // Designsystemet marks its modules "use client" (for React Server Components); meaningless in a bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
