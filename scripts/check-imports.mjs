#!/usr/bin/env node
// Import boundaries of src/ (docs/architecture.md "Module boundaries"), without dependencies:
//
//   node scripts/check-imports.mjs [root]      (npm run lint:imports)
//
// Reads every src/**/*.ts under root (default: this repository), finds its import and
// export-from specifiers (static, side-effect and dynamic import()), and prints each
// violation as `file:line: rule: detail`. Exits 1 if there is any.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Node built-ins the pure modules may use: no I/O in them. */
const PURE_BUILTINS = new Set(['node:buffer', 'node:util', 'node:crypto', 'node:url', 'node:string_decoder', 'node:assert']);
const DOORS = ['src/api/', 'src/delivery/sinks/', 'src/ingest/'];
const PURE = ['src/cesql/', 'src/cloudevents/'];

const isFastify = (spec) => spec === 'fastify' || spec.startsWith('fastify/') || spec.startsWith('@fastify/');
const under = (path, dirs) => dirs.some((d) => path.startsWith(d));

/**
 * The rules. Each gets one import (file and target relative to root, with
 * `target` undefined for a package or built-in) and says what is wrong, or
 * nothing.
 */
export const RULES = [
  {
    id: 'hub-no-doors',
    check: ({ file, target, spec }) => {
      if (!file.startsWith('src/hub/')) return;
      if (target && under(target, ['src/api/', 'src/delivery/sinks/', 'src/ingest/', 'src/cli/'])) return `src/hub/ imports ${target} (a door or the CLI)`;
      if (isFastify(spec)) return `src/hub/ imports '${spec}'`;
    },
  },
  {
    id: 'fastify-only-in-api',
    check: ({ file, target, spec }) => {
      if (!target && isFastify(spec) && !file.startsWith('src/api/')) return `'${spec}' imported outside src/api/`;
    },
  },
  {
    id: 'doors-no-store',
    check: ({ file, target, typeOnly }) => {
      if (!under(file, DOORS) || !target || !target.startsWith('src/store/')) return;
      if (target === 'src/store/types.ts' && typeOnly) return;
      return `a door imports ${target}${target === 'src/store/types.ts' ? ' (only `import type` from it is allowed)' : ''}`;
    },
  },
  {
    id: 'pure-core',
    check: ({ file, target, spec, typeOnly }) => {
      if (!under(file, PURE)) return;
      if (target) return under(target, PURE) ? undefined : `${file.split('/').slice(0, 2).join('/')}/ imports ${target} (only src/cesql/ and src/cloudevents/)`;
      // A type-only import loads nothing at run time.
      if (typeOnly || PURE_BUILTINS.has(spec)) return;
      return `${file.split('/').slice(0, 2).join('/')}/ imports '${spec}' (no I/O or other packages here)`;
    },
  },
];

/**
 * Doors reach data only through the hub's scoped operations: a textual
 * backstop for `Hub.store` being private (TypeScript enforces that once it is).
 */
const STORE_ACCESS = /\b[A-Za-z_$][\w$]*\.store\s*[.!?(]/g;
const STORE_ACCESS_RULE = 'doors-no-store-access';

/**
 * The text with comments blanked out, newlines kept; with `strings`, the
 * insides of string and template literals too (for scans of code, not of
 * import specifiers).
 */
export function stripComments(text, strings = false) {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const d = text[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && text[i] !== '\n') (out += ' '), i++;
    } else if (c === '/' && d === '*') {
      out += '  ';
      i += 2;
      while (i < n && !(text[i] === '*' && text[i + 1] === '/')) (out += text[i] === '\n' ? '\n' : ' '), i++;
      out += '  ';
      i += 2;
    } else if (c === "'" || c === '"' || c === '`') {
      out += c;
      i++;
      while (i < n && text[i] !== c) {
        if (text[i] === '\\') (out += strings ? ' ' : text[i]), i++;
        out += strings && text[i] !== '\n' ? ' ' : text[i];
        i++;
      }
      out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const CLAUSE = String.raw`(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)`;
const FROM = new RegExp(String.raw`\b(import|export)\s+(type\s+)?(${CLAUSE})\s*from\s*(['"])([^'"\n]+)\4`, 'g');
const BARE = /\bimport\s*(['"])([^'"\n]+)\1/g;
const DYNAMIC = /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;

/** Every import and export-from of a file: specifier, line, and whether it is type-only. */
export function importsOf(text) {
  const code = stripComments(text);
  const lineAt = (index) => code.slice(0, index).split('\n').length;
  const found = [];
  for (const m of code.matchAll(FROM)) {
    const clause = m[3].trim();
    // `import { type A, type B }` is type-only too.
    const inlineTypes = clause.startsWith('{') && clause.slice(1, -1).split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    found.push({ spec: m[5], line: lineAt(m.index), typeOnly: Boolean(m[2]) || inlineTypes });
  }
  for (const m of code.matchAll(BARE)) found.push({ spec: m[2], line: lineAt(m.index), typeOnly: false });
  for (const m of code.matchAll(DYNAMIC)) found.push({ spec: m[2], line: lineAt(m.index), typeOnly: false });
  return found.sort((a, b) => a.line - b.line);
}

function tsFiles(dir, root) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p, root);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [relative(root, p).split(sep).join('/')] : [];
  });
}

/** The repository path an import points at (`.js` written for a `.ts` file), or undefined for a package. */
function targetOf(file, spec) {
  if (!spec.startsWith('.')) return undefined;
  const p = posix.normalize(posix.join(posix.dirname(file), spec));
  return p.endsWith('.js') ? p.slice(0, -3) + '.ts' : p;
}

/** Every violation under root, in file and line order. */
export function check(root) {
  const violations = [];
  for (const file of tsFiles(join(root, 'src'), root).sort()) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const imp of importsOf(text)) {
      const target = targetOf(file, imp.spec);
      for (const rule of RULES) {
        const detail = rule.check({ file, target, spec: imp.spec, typeOnly: imp.typeOnly });
        if (detail) violations.push({ file, line: imp.line, rule: rule.id, detail });
      }
    }
    if (under(file, DOORS)) {
      const code = stripComments(text, true);
      for (const m of code.matchAll(STORE_ACCESS)) {
        const line = code.slice(0, m.index).split('\n').length;
        violations.push({ file, line, rule: STORE_ACCESS_RULE, detail: `a door reaches the store (${m[0].replace(/\s*[.!?(]$/, '')}); use the hub's operations` });
      }
    }
  }
  return violations.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const violations = check(root);
  for (const v of violations) console.log(`${v.file}:${v.line}: ${v.rule}: ${v.detail}`);
  if (violations.length > 0) {
    console.error(`check-imports: ${violations.length} violation(s) of the module boundaries (docs/architecture.md "Module boundaries")`);
    process.exit(1);
  }
  console.error('check-imports: the module boundaries hold');
}
