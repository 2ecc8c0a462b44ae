import type { GraphQLFieldResolver } from 'graphql';
import { catalogueViewer } from '../../hub/catalogue/viewer.js';
import { visibleAttributes } from '../../hub/catalogue/views.js';
import { HubError, invalid } from '../../hub/errors.js';
import { typedAttributeValue } from '../../hub/catalogue/attribute-values.js';
import { serves } from '../../hub/project.js';
import type { ListRecord } from '../../store/types.js';
import { EventNode, type GraphqlContext } from './context.js';
import { decodeCursor, encodeCursor, readPage, readPageDesc } from './page.js';
import { plainNodes, renderNodes } from './fast-nodes.js';
import { compileWhere, type EventFilterInput } from './where.js';

type Resolver<TSource = unknown, TArgs = Record<string, unknown>> = GraphQLFieldResolver<TSource, GraphqlContext, TArgs>;

/** Attributes of the CloudEvent itself; every other attribute is an extension. */
const CORE = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema', 'data', 'data_base64']);

interface ListNode {
  record: ListRecord;
}

const listFields: Record<string, Resolver<ListNode>> = {
  name: (l) => l.record.name,
  title: (l) => l.record.title,
  description: (l) => l.record.description,
  head: (l, _args, ctx) => Math.max(l.record.head, ctx.deps.hub.head(l.record.name)),
  // The declarations the caller's grant serves, as GET /lists/{list}/attributes shows them.
  attributes: (l, _args, ctx) => {
    const { access, catalogue } = ctx.deps;
    return visibleAttributes(catalogue.of(l.record.name), catalogueViewer(access, ctx.principal, l.record.name)).map((a) => ({ name: a.name, ...a.spec }));
  },
  lastUpdated: async (l, _args, ctx) => {
    const ms = await ctx.deps.hub.headTime(l.record.name);
    return ms === null ? null : new Date(ms).toISOString();
  },
};

interface EventsArgs {
  list: string;
  first: number;
  after?: string | null;
  where?: EventFilterInput | null;
  order: 'ASC' | 'DESC';
}

const queryFields: Record<string, Resolver<unknown, never>> = {
  lists: (async (_root, _args, ctx) => {
    const { hub, access } = ctx.deps;
    return (await hub.lists()).filter((l) => access.canSee(ctx.principal, l.name)).map((record) => ({ record }));
  }) as Resolver<unknown, never>,

  // A list the caller may not see is null, exactly like one that does not exist.
  list: (async (_root, { name }: { name: string }, ctx) => {
    ctx.checkDeadline();
    if (!ctx.deps.access.decide(ctx.principal, 'list.read', name).allowed) return null;
    try {
      return { record: await ctx.deps.hub.getList(name) };
    } catch (error) {
      if (error instanceof HubError && error.kind === 'not-found') return null;
      throw error;
    }
  }) as Resolver<unknown, never>,

  events: (async (_root, args: EventsArgs, ctx, info) => {
    const { hub, limits } = ctx.deps;
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > limits.maxFirst) {
      throw invalid(`first must be from 1 to ${limits.maxFirst}.`, [{ pointer: '/first', message: `at most ${limits.maxFirst}` }]);
    }
    const scope = ctx.readScope(args.list);
    const where = compileWhere(args.where, { declared: ctx.declared(scope) });
    const after = decodeCursor(args.after);
    const page = args.order === 'DESC' ? await readPageDesc(hub, scope, where, after, args.first) : await readPage(hub, scope, where, after, args.first);
    const nodes = page.events.map((e) => new EventNode(e, scope));
    // A page of plain leaf fields is rendered as text and spliced in (fast-nodes.ts).
    const fast = ctx.splices ? plainNodes(info) : undefined;
    if (fast) ctx.splices!.add([info.path.key as string, fast.responseName], renderNodes(nodes, fast.projection, ctx.minimised));
    return {
      nodes: fast ? [] : nodes,
      edges: nodes.map((node) => ({ cursor: encodeCursor(node.seq), node })),
      pageInfo: {
        startCursor: nodes.length > 0 ? encodeCursor(nodes[0].seq) : null,
        endCursor: encodeCursor(page.next),
        hasNextPage: page.hasNextPage,
      },
    };
  }) as Resolver<unknown, never>,

  // A missing list is NOT_FOUND (like events); an event that is missing or hidden is null.
  event: (async (_root, { list, eventid }: { list: string; eventid: number }, ctx) => {
    const scope = ctx.readScope(list);
    await ctx.deps.hub.requireList(list);
    try {
      return new EventNode(await ctx.deps.hub.getEvent(scope, eventid, 'graphql'), scope);
    } catch (error) {
      if (error instanceof HubError && error.kind === 'not-found') return null;
      throw error;
    }
  }) as Resolver<unknown, never>,
};

/** An attribute as served; null, and named in extensions.minimised, when the grant does not serve it. */
function attribute(name: string, field = name): Resolver<EventNode> {
  return (node, _args, ctx) => {
    if (!serves(node.scope.fields, name)) {
      ctx.minimised.add(field);
      return null;
    }
    return node.parsed[name] ?? null;
  };
}

/**
 * The list's declared attributes, typed (Integer a number, Boolean a boolean):
 * those the grant serves and the event carries. Declared attributes the grant
 * does not serve are absent, and named in extensions.minimised as
 * `attributes.<name>`.
 */
function declaredAttributes(node: EventNode, ctx: GraphqlContext): Record<string, unknown> {
  const { types, hidden } = ctx.declared(node.scope);
  for (const name of hidden) ctx.minimised.add(`attributes.${name}`);
  const out: Record<string, unknown> = {};
  for (const [name, type] of types) {
    const v = node.parsed[name];
    if (v !== undefined) out[name] = typedAttributeValue(type, v) ?? v;
  }
  return out;
}

/** The field of DeclaredAttributeValue each CloudEvents type's value goes in. */
const FIELD_OF_TYPE = { String: 'string', Integer: 'integer', Boolean: 'boolean', Timestamp: 'timestamp', URI: 'uri' } as const;

/** The declared attributes as typed GraphQL values: what `attributes` serves, one object each. */
function declaredAttributeValues(node: EventNode, ctx: GraphqlContext): Record<string, unknown>[] {
  const { types, hidden } = ctx.declared(node.scope);
  for (const name of hidden) ctx.minimised.add(`attributes.${name}`);
  const out: Record<string, unknown>[] = [];
  for (const [name, type] of types) {
    const v = node.parsed[name];
    if (v === undefined) continue;
    out.push({ name, type, string: null, integer: null, boolean: null, timestamp: null, uri: null, [FIELD_OF_TYPE[type]]: typedAttributeValue(type, v) ?? null });
  }
  return out; // in name order, as the catalogue gives them
}

// One extension attribute by name: typed when declared, as published when not; null when absent or not served.
function namedAttribute(node: EventNode, name: string, ctx: GraphqlContext): unknown {
  if (!/^[a-z0-9]{1,20}$/.test(name) || CORE.has(name) || name.startsWith('herold')) {
    throw invalid(`attribute(name) takes an extension attribute's name (1 to 20 lower-case letters or digits, not a core or herold* attribute); got '${name}'.`, [{ pointer: '/name', message: 'not an extension attribute name' }]);
  }
  const d = ctx.declared(node.scope);
  if (!d.serves(name)) {
    ctx.minimised.add(`attributes.${name}`);
    return null;
  }
  const v = node.parsed[name];
  if (v === undefined) return null;
  const type = d.types.get(name);
  return type ? (typedAttributeValue(type, v) ?? v) : v;
}

const eventFields: Record<string, Resolver<EventNode>> = {
  eventid: (node) => node.seq,
  heroldtime: (node) => node.parsed.heroldtime,
  heroldprevseq: attribute('heroldprevseq'),
  previous: (node, _args, ctx) => {
    if (!serves(node.scope.fields, 'heroldprevseq')) {
      ctx.minimised.add('previous');
      return null;
    }
    const prev = node.parsed.heroldprevseq;
    return typeof prev === 'string' ? ctx.previous(node.scope).load(Number(prev)) : null;
  },
  id: attribute('id'),
  source: attribute('source'),
  specversion: attribute('specversion'),
  type: attribute('type'),
  subject: attribute('subject'),
  time: attribute('time'),
  datacontenttype: attribute('datacontenttype'),
  dataschema: attribute('dataschema'),
  data: attribute('data'),
  data_base64: attribute('data_base64'),
  // The extension attributes the grant serves (a grant with a field list withholds the others).
  extensions: (node, _args, ctx) => {
    if (node.scope.fields) ctx.minimised.add('extensions');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node.parsed)) if (!CORE.has(k) && !k.startsWith('herold')) out[k] = v;
    return out;
  },
  attributes: (node, _args, ctx) => declaredAttributes(node, ctx),
  attribute: (node, args, ctx) => namedAttribute(node, args.name as string, ctx),
  declaredAttributes: (node, _args, ctx) => declaredAttributeValues(node, ctx),
};

/** Each subscription message executes the selection on one event: the root field is that event. */
const subscriptionFields: Record<string, Resolver<EventNode>> = {
  events: (node) => node,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyResolver = GraphQLFieldResolver<any, GraphqlContext, any>;

export const RESOLVERS: Record<string, Record<string, AnyResolver>> = {
  Query: queryFields as Record<string, AnyResolver>,
  Subscription: subscriptionFields as Record<string, AnyResolver>,
  EventList: listFields as Record<string, AnyResolver>,
  Event: eventFields as Record<string, AnyResolver>,
};
