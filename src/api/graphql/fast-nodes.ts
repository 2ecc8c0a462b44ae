import { randomUUID } from 'node:crypto';
import { Kind, type FieldNode, type GraphQLResolveInfo } from 'graphql';
import { serves } from '../../hub/project.js';
import type { EventNode } from './context.js';

/**
 * A fast path for the common page: `events { nodes { <leaf fields> } }`.
 * graphql-js resolves and completes every field of every node (11,000 field
 * executions for a 1,000-event page of 11 fields), which costs many times
 * what the page itself costs. When the `nodes` selection is only plain leaf
 * fields (no fragments, directives or arguments, no `previous`), the page's
 * nodes are rendered here as JSON text, with exactly the values the
 * resolvers would give (minimised fields null and named), and spliced into
 * the serialised response in place of an empty list.
 */

/** One output field of a node: its response name and which Event field it is. */
type Projection = [responseName: string, field: string][];

/** The Event fields this path renders; any other field takes the general path. */
const LEAVES = new Set(['eventid', 'heroldtime', 'heroldprevseq', 'id', 'source', 'specversion', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64', 'extensions', '__typename']);
const CORE = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);

/** The projection of the `nodes` field under this `events` field, when it can take the fast path. */
export function plainNodes(info: GraphQLResolveInfo): { responseName: string; projection: Projection } | undefined {
  if (info.fieldNodes.length !== 1) return undefined;
  const selections = info.fieldNodes[0].selectionSet?.selections ?? [];
  let found: FieldNode | undefined;
  for (const s of selections) {
    if (s.kind !== Kind.FIELD) return undefined;
    if (s.name.value === 'nodes') {
      if (found) return undefined;
      found = s;
    }
  }
  if (!found || found.directives?.length) return undefined;
  const projection: Projection = [];
  const names = new Set<string>();
  for (const s of found.selectionSet?.selections ?? []) {
    if (s.kind !== Kind.FIELD || s.directives?.length || s.arguments?.length || s.selectionSet || !LEAVES.has(s.name.value)) return undefined;
    const responseName = s.alias?.value ?? s.name.value;
    // graphql-js merges repeated response names; leave that to it.
    if (names.has(responseName)) return undefined;
    names.add(responseName);
    projection.push([responseName, s.name.value]);
  }
  return projection.length > 0 ? { responseName: found.alias?.value ?? 'nodes', projection } : undefined;
}

/** The nodes as a JSON array, as graphql-js would have serialised them. */
export function renderNodes(nodes: readonly EventNode[], projection: Projection, minimised: Set<string>): string {
  // Written as text, key by key: no object per node to build and serialise again.
  const keys = projection.map(([responseName], i) => `${i === 0 ? '{' : ','}${JSON.stringify(responseName)}:`);
  let text = '[';
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (i > 0) text += ',';
    for (let k = 0; k < projection.length; k++) text += keys[k] + (JSON.stringify(value(node, projection[k][1], minimised)) ?? 'null');
    text += '}';
  }
  return text + ']';
}

function value(node: EventNode, field: string, minimised: Set<string>): unknown {
  switch (field) {
    case 'eventid':
      return String(node.seq);
    case '__typename':
      return 'Event';
    case 'heroldtime':
      return node.parsed.heroldtime;
    case 'extensions': {
      if (node.scope.fields) minimised.add('extensions');
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node.parsed)) if (!CORE.has(k) && !k.startsWith('herold')) out[k] = v;
      return out;
    }
  }
  if (!serves(node.scope.fields, field)) {
    minimised.add(field);
    return null;
  }
  const v = node.parsed[field];
  if (v === undefined || v === null) return null;
  // The String, DateTime and Long fields are strings in the stored event; anything else (data) is JSON.
  return field === 'data' ? v : typeof v === 'string' ? v : String(v);
}

/** Rendered parts of a response, spliced in after graphql-js serialised the rest. */
export class Splices {
  private readonly token = `__herold_splice_${randomUUID()}_`;
  private readonly parts: { path: [string, string]; text: string }[] = [];

  add(path: [string, string], text: string): void {
    this.parts.push({ path, text });
  }

  get size(): number {
    return this.parts.length;
  }

  /** The response as JSON text, with each rendered part in its place. */
  serialize(response: Record<string, unknown>): string {
    const data = response.data as Record<string, Record<string, unknown> | null> | null | undefined;
    const placed: string[] = [];
    this.parts.forEach(({ path: [root, field] }, i) => {
      const parent = data?.[root];
      if (parent && Array.isArray(parent[field]) && (parent[field] as unknown[]).length === 0) {
        parent[field] = `${this.token}${i}`;
        placed.push(`"${this.token}${i}"`);
      }
    });
    let text = JSON.stringify(response);
    this.parts.forEach((p, i) => {
      if (placed.includes(`"${this.token}${i}"`)) text = text.replace(`"${this.token}${i}"`, () => p.text);
    });
    return text;
  }
}
