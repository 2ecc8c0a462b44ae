/**
 * Test helper: prints a CESQL syntax tree back as an expression, fully
 * parenthesised, so that parse(format(ast)) can be compared with ast.
 * String values must not end in a backslash nor contain a backslash before
 * a quote: CESQL string literals cannot spell those.
 */
import type { Ast } from '../../src/cesql/index.js';

function str(s: string): string {
  return `'${s.replace(/'/g, "\\'")}'`;
}

export function formatCesql(ast: Ast): string {
  switch (ast.type) {
    case 'literal':
      if (typeof ast.value === 'string') return str(ast.value);
      if (typeof ast.value === 'boolean') return ast.value ? 'TRUE' : 'FALSE';
      return String(ast.value);
    case 'attribute':
      return ast.name;
    case 'exists':
      return `(EXISTS ${ast.name})`;
    case 'unary':
      return ast.operator === 'NOT' ? `(NOT ${formatCesql(ast.operand)})` : `(-(${formatCesql(ast.operand)}))`;
    case 'binary':
      return `(${formatCesql(ast.left)} ${ast.operator} ${formatCesql(ast.right)})`;
    case 'like':
      return `(${formatCesql(ast.operand)}${ast.negated ? ' NOT' : ''} LIKE ${str(ast.pattern)})`;
    case 'in':
      return `(${formatCesql(ast.operand)}${ast.negated ? ' NOT' : ''} IN (${ast.set.map(formatCesql).join(', ')}))`;
    case 'call':
      return `${ast.name}(${ast.args.map(formatCesql).join(', ')})`;
  }
}

/** The tree without source positions. */
export function withoutPositions(ast: Ast): unknown {
  return JSON.parse(JSON.stringify(ast, (key, v) => (key === 'pos' ? undefined : v)));
}
