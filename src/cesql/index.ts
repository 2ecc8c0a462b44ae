/**
 * Herold's CESQL v1 engine (CloudEvents SQL Expression Language) and the
 * CloudEvents Subscriptions API filter dialects. Knows nothing of HTTP or
 * storage: expressions in, predicates out.
 */
export type {
  Ast,
  AttributeNode,
  BinaryNode,
  BinaryOperator,
  CallNode,
  CesqlValue,
  ExistsNode,
  InNode,
  LikeNode,
  LiteralNode,
  UnaryNode,
} from './ast.js';
export { CesqlBudgetError, CesqlParseError, type CesqlError, type CesqlErrorKind } from './errors.js';
export { EVALUATION_BUDGET, MAX_FILTER_NODES, MAX_NODES, MAX_STRING_LENGTH } from './budget.js';
export {
  compileCesql,
  evaluateCesql,
  parseCesql,
  type CesqlEvent,
  type CesqlResult,
  type CompiledCesql,
} from './engine.js';
export {
  compileFilters,
  FILTER_DIALECTS,
  FilterError,
  validateFilters,
  type FilterDialect,
  type FilterPredicate,
} from './filters.js';
export {
  allOfRequirements,
  anyOfRequirements,
  filterRequirements,
  INDEXED_ATTRIBUTES,
  mayMatch,
  NO_REQUIREMENTS,
  type IndexedAttribute,
  type Requirements,
} from './requirements.js';
export { MAX_EXPRESSION_LENGTH, MAX_NESTING, MAX_TREE_DEPTH } from './parser.js';
export type { CesqlType, StaticType } from './values.js';
export { astAttributes, cesqlAttributes, filterAttributes } from './attributes.js';
