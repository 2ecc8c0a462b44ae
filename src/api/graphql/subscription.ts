import {
  getArgumentValues,
  getVariableValues,
  GraphQLError,
  Kind,
  type ExecutionResult,
  type FieldNode,
  type SelectionSetNode,
} from 'graphql';
import type { Principal, Scope } from '../../access/scope.js';
import type { RateLimiter } from '../../access/rate-limit.js';
import { HubError } from '../../hub/errors.js';
import type { EventQuery, FollowEnd, FollowStep } from '../../hub/hub.js';
import { streamOwnerOf, type CloseCause, type StreamKind, type StreamRegistry } from '../streams/registry.js';
import { EventNode, GraphqlContext, type GraphqlDeps } from './context.js';
import { fromHubError, graphqlError } from './errors.js';
import { run, type Prepared } from './operation.js';
import { schema } from './schema.js';
import { compileWhere, type EventFilterInput } from './where.js';

export const SUBSCRIPTION_KINDS: readonly StreamKind[] = ['graphql-sse', 'graphql-ws'];

/** What a transport sends: a result (for one event, or a final error), or a keep-alive. */
export type SubscriptionMessage = { kind: 'next'; result: ExecutionResult; eventid?: number } | { kind: 'heartbeat' };

/**
 * How a subscription ended: 'complete' (the transport says so to the client),
 * or 'interrupted' (the hub is stopping or the client left: the transport just
 * closes, so a client retries and resumes).
 */
export type SubscriptionEnd = 'complete' | 'interrupted';

export interface SubscriptionHost extends GraphqlDeps {
  streams: StreamRegistry;
  readRate: RateLimiter;
  heartbeatMs: number;
}

export interface SubscribeArgs {
  principal: Principal;
  /** The Authorization the caller authenticated with: checked again when access changes. */
  authorization: string | undefined;
  prepared: Prepared;
  kind: StreamKind;
  /** Last-Event-ID: resume after it (raises `after`). */
  resumeAfter?: number;
  /** Aborts when the client leaves. */
  signal: AbortSignal;
}

/** An open subscription: its messages, ending with how it ended. */
export type Subscription = AsyncGenerator<SubscriptionMessage, SubscriptionEnd>;

/**
 * A GraphQL subscription over the hub's `follow`: a thin door. The scope
 * comes from `access.decide`, the `where` compiles to the hub's query, and
 * `hub.follow` replays from the cursor, then follows live, in order, within
 * that scope; each event is executed against the caller's selection. The
 * subscription is registered with the other open streams: when the owner's
 * access changes it is decided again (narrowed access applies from the next
 * event; revoked access ends it with FORBIDDEN and complete), and the hub's
 * follow ends it when the credential expires.
 */
export async function subscribe(host: SubscriptionHost, args: SubscribeArgs): Promise<Subscription | { errors: GraphQLError[] }> {
  const { hub, access, limits, streams } = host;
  const { principal } = args;
  let input: { list: string; after?: number | null; where?: EventFilterInput | null };
  try {
    input = rootArguments(args.prepared) as typeof input;
  } catch (error) {
    return { errors: [error instanceof GraphQLError ? error : graphqlError('BAD_USER_INPUT', String(error))] };
  }
  if (streams.countOf(principal.id, SUBSCRIPTION_KINDS) >= limits.maxSubscriptions) {
    return { errors: [graphqlError('RATE_LIMITED', `You have ${limits.maxSubscriptions} open subscriptions, the most one principal may hold. Close one before opening another.`, { limit: 'subscriptions', max: limits.maxSubscriptions })] };
  }
  if (!principal.admin) {
    const r = host.readRate.take(principal.id);
    if (!r.ok) return { errors: [graphqlError('RATE_LIMITED', `You are over your request rate. Retry after ${r.retryAfterSeconds} s.`, { retryAfter: r.retryAfterSeconds })] };
  }
  const context = new GraphqlContext(host, principal);
  let scope: Scope;
  let query: EventQuery;
  try {
    scope = context.readScope(input.list);
    const where = compileWhere(input.where, { lowerBoundOnly: true, declared: context.declared(scope) });
    const whereAfter = where.ranges ? (where.ranges[0]?.[0] ?? Infinity) - 1 : undefined;
    // Absent `after` means from now, unless the filter or Last-Event-ID says where.
    const base = input.after ?? whereAfter ?? args.resumeAfter ?? hub.head(input.list);
    query = { after: Math.max(base, whereAfter ?? 0, args.resumeAfter ?? 0), filter: where.filter, since: where.since, until: where.until };
  } catch (error) {
    if (error instanceof HubError) return { errors: [fromHubError(error)] };
    throw error;
  }
  const follower = new Follower(host, args, input.list, query);
  const refused = await follower.open(scope);
  if (refused) return { errors: [refused] };
  return follower.messages();
}

/** The root field's arguments, with the variables coerced (errors as BAD_USER_INPUT). */
function rootArguments(prepared: Prepared): Record<string, unknown> {
  const { operation, document } = prepared;
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], prepared.variables ?? {}, { maxErrors: 10 });
  if (variables.errors) throw new GraphQLError(variables.errors.map((e) => e.message).join(' '), { extensions: { code: 'BAD_USER_INPUT' } });
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])));
  const field = firstField(operation.selectionSet, fragments);
  const definition = schema.getSubscriptionType()!.getFields()[field.name.value];
  return getArgumentValues(definition, field, variables.coerced);
}

function firstField(set: SelectionSetNode, fragments: Map<string, SelectionSetNode>): FieldNode {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) return s;
    const inner = s.kind === Kind.INLINE_FRAGMENT ? s.selectionSet : fragments.get(s.name.value);
    if (inner) return firstField(inner, fragments);
  }
  throw graphqlError('BAD_USER_INPUT', 'A subscription selects one root field.');
}

/** One subscription's follow, reopened under a new scope when access changes. */
class Follower {
  private follow: AsyncGenerator<FollowStep, FollowEnd> | null = null;
  private followAbort = new AbortController();
  private scope!: Scope;
  private cursor: number;
  private interrupt: { promise: Promise<CloseCause>; fire: (cause: CloseCause) => void };
  private unregister: (() => void) | null = null;

  constructor(
    private readonly host: SubscriptionHost,
    private readonly args: SubscribeArgs,
    private readonly list: string,
    private readonly query: EventQuery,
  ) {
    this.cursor = query.after;
    this.interrupt = interruptible();
  }

  /** Open the follow under `scope` from the cursor; a refusal (a hidden attribute, a list gone) is returned. */
  async open(scope: Scope): Promise<GraphQLError | undefined> {
    this.followAbort = new AbortController();
    const abort = this.followAbort;
    const onClientGone = () => abort.abort();
    this.args.signal.addEventListener('abort', onClientGone, { once: true });
    abort.signal.addEventListener('abort', () => this.args.signal.removeEventListener('abort', onClientGone), { once: true });
    try {
      this.follow = await this.host.hub.follow(scope, { ...this.query, after: this.cursor }, 'graphql', { signal: abort.signal, idleMs: this.host.heartbeatMs });
    } catch (error) {
      abort.abort();
      if (error instanceof HubError) return fromHubError(error);
      throw error;
    }
    this.scope = scope;
    this.unregister?.();
    this.unregister = null;
    try {
      // Counted with the principal's other streams, whatever the door: over the cap this is refused.
      this.unregister = this.host.streams.add({ kind: this.args.kind, owner: streamOwnerOf(scope), close: (_reason, cause) => this.interrupt.fire(cause) });
    } catch (error) {
      abort.abort();
      if (error instanceof HubError) return fromHubError(error);
      throw error;
    }
    return undefined;
  }

  async *messages(): Subscription {
    try {
      for (;;) {
        const pending = this.follow!.next();
        const winner = await Promise.race([pending, this.interrupt.promise]);
        if (typeof winner === 'string') {
          // Stop the current read; what it may have read under the old scope is dropped.
          this.followAbort.abort();
          await pending.catch(() => undefined);
          if (winner === 'shutdown') return 'interrupted';
          this.interrupt = interruptible();
          const refused = await this.reopen();
          if (refused) {
            yield { kind: 'next', result: { errors: [refused] } };
            return 'complete';
          }
          continue;
        }
        if (winner.done) {
          if (winner.value === 'expired') {
            yield { kind: 'next', result: { errors: [graphqlError('UNAUTHENTICATED', 'Your credential has expired; subscribe again with a valid one, after the last eventid you received.')] } };
            return 'complete';
          }
          return winner.value === 'window-complete' ? 'complete' : 'interrupted';
        }
        const step = winner.value;
        if (step.kind === 'idle') {
          yield { kind: 'heartbeat' };
          continue;
        }
        // One context per event (its own extensions.minimised); `previous` lookups of the step are made together.
        const shared: ConstructorParameters<typeof GraphqlContext>[3] = new Map();
        const results = step.events.map((e) => {
          const context = new GraphqlContext(this.host, this.scope.principal, Date.now() + this.host.limits.timeoutMs, shared);
          return run(this.args.prepared, context, new EventNode(e, this.scope));
        });
        for (let i = 0; i < step.events.length; i++) {
          const result = await results[i];
          yield { kind: 'next', result, eventid: step.events[i].seq };
          this.cursor = step.events[i].seq;
        }
        this.cursor = Math.max(this.cursor, step.next);
      }
    } finally {
      this.unregister?.();
      this.followAbort.abort();
      await this.follow?.return('aborted').catch(() => undefined);
    }
  }

  /** Access changed: authenticate again and decide again; continue from the cursor, or say why not. */
  private async reopen(): Promise<GraphQLError | undefined> {
    const { access } = this.host;
    let principal: Principal | null = this.args.principal;
    if (this.args.authorization !== undefined) {
      const again = await access.authenticate(this.args.authorization);
      if (again === null || 'error' in again) return forbidden(again && 'error' in again ? again.error : 'Your credentials are no longer valid.');
      principal = again;
    }
    const decision = access.decide(principal, 'events.read', this.list);
    if (!decision.allowed) return forbidden(`You may no longer read list '${this.list}'.`);
    const refused = await this.open(decision.scope);
    return refused && forbidden(refused.message);
  }
}

function forbidden(why: string): GraphQLError {
  return graphqlError('FORBIDDEN', `Your access changed and this subscription ended: ${why}`);
}

function interruptible(): { promise: Promise<CloseCause>; fire: (cause: CloseCause) => void } {
  let fire!: (cause: CloseCause) => void;
  const promise = new Promise<CloseCause>((resolve) => (fire = resolve));
  return { promise, fire };
}
