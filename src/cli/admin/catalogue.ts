import type { Command } from 'commander';
import type { AttributeDeclaration, Texts } from '../../client/api-types.js';
import { type Column, formatRecord, formatTable, show } from '../output.js';
import { verb } from './command.js';

/** A text in the catalogue: a string, or `{nb, nn, en}` (English first for a terminal, then Bokmål, Nynorsk). */
function text(t: Texts | undefined | null): string | undefined {
  if (t === undefined || t === null) return undefined;
  if (typeof t === 'string') return t;
  return t.en ?? t.nb ?? t.nn;
}

interface DeclaredType {
  type: string;
  title?: Texts;
  deprecated?: { since: string; replacement?: string };
}
interface SeenType {
  type: string;
  declared: boolean;
  count: number;
  invalid: number;
  lastSeen?: string;
}
interface TypesAnswer {
  validate?: string;
  types: DeclaredType[];
  /** Only for the list's owner, its publishers and admins. */
  seen?: SeenType[];
}

/** One row per type, declared or seen: what is declared and what publishers actually send. */
interface TypeRow {
  type: string;
  declared: boolean;
  seen?: SeenType;
  title?: string;
  deprecated?: string;
}

function typeRows(answer: TypesAnswer): TypeRow[] {
  const rows = new Map<string, TypeRow>();
  for (const t of answer.types) {
    rows.set(t.type, { type: t.type, declared: true, title: text(t.title), deprecated: t.deprecated ? `since ${t.deprecated.since}${t.deprecated.replacement ? `, use ${t.deprecated.replacement}` : ''}` : undefined });
  }
  for (const s of answer.seen ?? []) rows.set(s.type, { ...(rows.get(s.type) ?? { type: s.type, declared: s.declared }), seen: s });
  return [...rows.values()].sort((a, b) => a.type.localeCompare(b.type));
}

const typeColumns = (withSeen: boolean): Column<TypeRow>[] => [
  ['TYPE', (r) => r.type],
  ['DECLARED', (r) => (r.declared ? 'yes' : 'no')],
  ...(withSeen
    ? ([
        ['SEEN', (r) => r.seen?.count ?? 0],
        ['INVALID', (r) => r.seen?.invalid ?? 0],
        ['LAST SEEN', (r) => r.seen?.lastSeen],
      ] as Column<TypeRow>[])
    : []),
  ['TITLE', (r) => (r.deprecated ? `${r.title ?? ''} (deprecated ${r.deprecated})`.trim() : r.title)],
];

const attributeColumns: Column<AttributeDeclaration & { name?: string }>[] = [
  ['NAME', (a) => a.name],
  ['TYPE', (a) => a.type],
  ['PERSONAL DATA', (a) => a.personalData],
  ['LEGAL BASIS', (a) => a.legalBasis],
  ['DESCRIPTION', (a) => text(a.description)],
];

interface RegistryGroup {
  messagegroupid: string;
  name?: string;
  messagescount?: number;
  messages?: Record<string, unknown>;
  endpoints?: string[];
}
interface Registry {
  messagegroups?: Record<string, RegistryGroup>;
}

const registryColumns: Column<RegistryGroup>[] = [
  ['LIST', (g) => g.messagegroupid],
  ['TYPES', (g) => g.messagescount ?? Object.keys(g.messages ?? {}).length],
  ['RECEIVE BY', (g) => (g.endpoints ?? []).map((e) => e.slice(e.lastIndexOf('.') + 1)).join(',')],
  ['NAME', (g) => g.name],
];

interface AsyncApi {
  asyncapi?: string;
  info?: { title?: string; version?: string };
  channels?: Record<string, { address?: string | null; messages?: Record<string, unknown> }>;
  operations?: Record<string, { action?: string; channel?: { $ref?: string } }>;
  components?: { messages?: Record<string, { name?: string; title?: string; payload?: unknown }> };
}

export function registerCatalogue(program: Command): void {
  const types = program.command('types').description("A list's event types: what is declared, and (owners, publishers, admins) what is published.");
  verb(types, 'list <list>', 'Declared types; for owners, publishers and admins also the types seen, with counts.', (c) => c, async (client, [list], o) => {
    const answer = (await client.listTypes(list!)) as unknown as TypesAnswer;
    const rows = typeRows(answer);
    show(o.output, answer, () => {
      const table = formatTable(rows, typeColumns(answer.seen !== undefined), `(no types declared for ${list}${answer.seen ? ' and none published' : ''}; declare one with PUT /lists/${list}/types/{type})`);
      return answer.validate ? `${table}\nvalidate: ${answer.validate}` : table;
    });
  });

  const attributes = program.command('attributes').description("A list's extension attributes: their types and whether they hold personal data.");
  verb(attributes, 'list <list>', 'The declared extension attributes.', (c) => c, async (client, [list], o) => {
    const answer = await client.listAttributes(list!);
    show(o.output, answer, () => formatTable(answer.attributes, attributeColumns, `(no attributes declared for ${list})`));
  });

  verb(program, 'registry', 'The catalogue (xRegistry): every list you may read or discover, with its types and how to receive them.', (c) => c, async (client, _a, o) => {
    const registry = (await client.registry()) as Registry;
    const groups = Object.values(registry.messagegroups ?? {});
    show(o.output, registry, () => formatTable(groups, registryColumns, '(no lists you may read or discover)'));
  });

  verb(
    program,
    'asyncapi <list>',
    'The AsyncAPI 3.0 document of a list, as your grant serves it (--output json: the document; table: its messages).',
    (c) => c,
    async (client, [list], o) => {
      const doc = (await client.asyncapi(list!)) as AsyncApi;
      show(o.output, doc, () => {
        const messages = Object.entries(doc.components?.messages ?? {}).map(([id, m]) => ({ id, title: m.title ?? m.name }));
        const head = formatRecord({ asyncapi: doc.asyncapi, title: doc.info?.title, version: doc.info?.version, channels: Object.keys(doc.channels ?? {}).length, operations: Object.keys(doc.operations ?? {}).length });
        const table = formatTable(messages, [['MESSAGE', (m) => m.id], ['TITLE', (m) => m.title]], '(no messages)');
        return `${head}\n\n${table}\n\nThe whole document: herold asyncapi ${list} --output json`;
      });
    },
  );
}
