import type { ValidateMode } from '../../store/types.js';
import type { DataValidator } from './data-schema.js';
import type { AttributeSpec, EventTypeSpec } from './declarations.js';

export interface DeclaredType {
  type: string;
  spec: EventTypeSpec;
  /** The compiled schema, made once when declared (or loaded). */
  validator?: DataValidator;
  updatedAt: number;
}

export interface DeclaredAttribute {
  name: string;
  spec: AttributeSpec;
  updatedAt: number;
}

/** One list's catalogue as held in memory: what publishing checks against. */
export interface ListCatalogue {
  validate: ValidateMode;
  discoverable: boolean;
  types: Map<string, DeclaredType>;
  attributes: Map<string, DeclaredAttribute>;
}

export function emptyCatalogue(): ListCatalogue {
  return { validate: 'off', discoverable: false, types: new Map(), attributes: new Map() };
}
