import type { Ast } from './ast.js';
import { parseCesql } from './engine.js';

/**
 * The context attributes an expression or a set of Subscriptions API filters
 * reads (lower-cased, as CESQL identifiers are). A reader whose grant serves
 * only some attributes may filter only on those: a filter that could test a
 * hidden attribute would tell the reader its value, one guess at a time.
 */
export function astAttributes(ast: Ast, into = new Set<string>()): Set<string> {
  switch (ast.type) {
    case 'attribute':
    case 'exists':
      into.add(ast.name);
      break;
    case 'unary':
      astAttributes(ast.operand, into);
      break;
    case 'binary':
      astAttributes(ast.left, into);
      astAttributes(ast.right, into);
      break;
    case 'like':
      astAttributes(ast.operand, into);
      break;
    case 'in':
      astAttributes(ast.operand, into);
      for (const item of ast.set) astAttributes(item, into);
      break;
    case 'call':
      for (const arg of ast.args) astAttributes(arg, into);
      break;
    case 'literal':
      break;
  }
  return into;
}

/** The attributes a CESQL expression reads. Throws CesqlParseError like compileCesql. */
export function cesqlAttributes(expression: string): Set<string> {
  return astAttributes(parseCesql(expression));
}

/**
 * The attributes Subscriptions API filters read (an array is an implicit
 * `all`). Meant for filters that compileFilters accepted.
 */
export function filterAttributes(filters: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(filters)) {
    for (const f of filters) filterAttributes(f, into);
    return into;
  }
  if (typeof filters !== 'object' || filters === null) return into;
  for (const [dialect, body] of Object.entries(filters as Record<string, unknown>)) {
    switch (dialect) {
      case 'exact':
      case 'prefix':
      case 'suffix':
        if (typeof body === 'object' && body !== null) for (const name of Object.keys(body)) into.add(name.toLowerCase());
        break;
      case 'all':
      case 'any':
      case 'not':
        filterAttributes(body, into);
        break;
      case 'sql':
        if (typeof body === 'string') astAttributes(parseCesql(body), into);
        break;
    }
  }
  return into;
}
