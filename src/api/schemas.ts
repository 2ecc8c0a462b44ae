import { Type, type Static } from '@sinclair/typebox';

/** Shapes shared by several routes. Seqs travel as decimal strings. */
export const Seq = Type.String({ pattern: '^[0-9]{1,19}$', description: 'A 64-bit sequence number as a decimal string.' });

export const LIST_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,127}$';
export const ListName = Type.String({ pattern: LIST_NAME_PATTERN, description: 'List name: [a-z0-9][a-z0-9._-]{0,127}' });
export const ListParams = Type.Object({ list: ListName });
export type ListParams = Static<typeof ListParams>;

export const ListBody = Type.Object({
  name: ListName,
  title: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
  description: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
  retentionDays: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  head: Seq,
  owner: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  validate: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('warn'), Type.Literal('enforce')], { description: 'How published events are checked against the declared types and attributes.' })),
  discoverable: Type.Optional(Type.Boolean({ description: 'Every authenticated principal may find this list (name, title, description, declared types) and ask for access.' })),
  types: Type.Optional(Type.Array(Type.String(), { description: 'The declared event types.' })),
  access: Type.Optional(Type.Union(['admin', 'owner', 'publisher', 'consumer', 'none'].map((a) => Type.Literal(a)), { description: 'What you are to this list.' })),
});

/** A list a principal may only discover: never its events, head or grants. */
export const DiscoveredListBody = Type.Object({
  name: ListName,
  title: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
  description: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
  discoverable: Type.Literal(true),
  types: Type.Array(Type.String()),
  access: Type.Literal('none', { description: 'You may ask for access: POST /lists/{list}/access-requests.' }),
});

export const ProblemBody = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ pointer: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details (application/problem+json); some problems add members, e.g. `seq` on 409.' },
);

export const problems = (...codes: number[]): Record<number, unknown> =>
  Object.fromEntries(codes.map((c) => [c, { ...ProblemBody, description: `problem+json (${c})` }]));

/** An event as served: structured CloudEvent plus heroldseq, heroldprevseq, heroldtime. */
export const ServedEvent = Type.Object(
  {
    specversion: Type.String(),
    id: Type.String(),
    source: Type.String(),
    type: Type.String(),
    heroldseq: Seq,
    heroldprevseq: Type.Optional(Seq),
    heroldtime: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: true, description: 'A structured CloudEvent exactly as published, plus the hub extension attributes.' },
);
