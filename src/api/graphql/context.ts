import { type Access, type Principal, type Scope, denialError } from '../../access/access.js';
import type { Catalogue } from '../../hub/catalogue/catalogue.js';
import type { AttributeType } from '../../hub/catalogue/declarations.js';
import { HubError } from '../../hub/errors.js';
import { serves } from '../../hub/project.js';
import type { DeclaredAttributes } from './attribute-filter.js';
import type { Hub, ServedEvent } from '../../hub/hub.js';
import { graphqlError } from './errors.js';
import type { Splices } from './fast-nodes.js';
import type { GraphqlLimits } from './limits.js';

/** What the door's resolvers reach: the hub's scoped reads and the access decision point, nothing else. */
export interface GraphqlDeps {
  hub: Hub;
  access: Access;
  /** Declared extension attributes: typed `attributes` and `where: {attr}` (read only). */
  catalogue: Pick<Catalogue, 'declaredAttributes' | 'of'>;
  limits: GraphqlLimits;
}

/** An event as one caller may see it, parsed once for all the fields asked of it. */
export class EventNode {
  private parsedJson?: Record<string, unknown>;

  constructor(
    readonly served: ServedEvent,
    readonly scope: Scope,
  ) {}

  get seq(): number {
    return this.served.seq;
  }

  get parsed(): Record<string, unknown> {
    return (this.parsedJson ??= JSON.parse(this.served.json) as Record<string, unknown>);
  }
}

/**
 * One operation's (or one subscription event's) context. Scopes come from
 * `access.decide`, once per list per operation; the resolvers never apply a
 * grant themselves.
 */
export class GraphqlContext {
  /** Event fields asked for that the caller's grant does not serve (extensions.minimised). */
  readonly minimised = new Set<string>();
  private readonly scopes = new Map<string, Scope>();
  private readonly declarations = new Map<Scope, DeclaredAttributes & { hidden: readonly string[] }>();
  /** Set where the answer is serialised by this door (HTTP): pages may then take the fast path (fast-nodes.ts). */
  splices: Splices | null = null;

  constructor(
    readonly deps: GraphqlDeps,
    readonly principal: Principal,
    /** Epoch ms after which resolvers stop asking the hub (the execution timeout). */
    readonly deadline = Infinity,
    /** `previous` loaders, shared by the contexts of one page of subscription events. */
    private readonly loaders = new Map<Scope, PreviousLoader>(),
  ) {}

  /** The caller's read scope on a list; a refusal answers exactly as the REST door would. */
  readScope(list: string): Scope {
    this.checkDeadline();
    let scope = this.scopes.get(list);
    if (!scope) {
      const decision = this.deps.access.decide(this.principal, 'events.read', list);
      if (!decision.allowed) {
        throw denialError(decision);
      }
      this.scopes.set(list, (scope = decision.scope));
    }
    return scope;
  }

  /** The list's declared attributes this scope serves, with their types (what `attr` and `attributes` use). */
  declared(scope: Scope): DeclaredAttributes & { hidden: readonly string[] } {
    let d = this.declarations.get(scope);
    if (!d) {
      const list = scope.list!;
      const types = new Map<string, AttributeType>();
      const hidden: string[] = [];
      for (const a of this.deps.catalogue.declaredAttributes(list)) {
        if (serves(scope.fields, a.name)) types.set(a.name, a.spec.type);
        else hidden.push(a.name);
      }
      this.declarations.set(scope, (d = { list, types, hidden, serves: (name) => serves(scope.fields, name) }));
    }
    return d;
  }

  /** Previous events of one scope, looked up together. */
  previous(scope: Scope): PreviousLoader {
    let loader = this.loaders.get(scope);
    if (!loader) this.loaders.set(scope, (loader = new PreviousLoader(this, scope)));
    return loader;
  }

  checkDeadline(): void {
    if (Date.now() > this.deadline) {
      throw graphqlError('QUERY_TOO_COMPLEX', `The query did not finish within ${this.deps.limits.timeoutMs / 1000} s, the longest this hub runs one. Ask for fewer events or less nesting.`, { limit: 'timeout' });
    }
  }

  /** The response extensions this context adds. */
  extensions(): Record<string, unknown> | undefined {
    return this.minimised.size > 0 ? { minimised: [...this.minimised].sort() } : undefined;
  }
}


const resolved = Promise.resolve();

/**
 * `previous` of every node of a page, in one batch: the lookups asked for in
 * one pass over a page are made together (concurrently, once per seq) through
 * the hub's scoped getEvent, so a hidden previous event answers exactly like a
 * missing one (null).
 */
export class PreviousLoader {
  private readonly cache = new Map<number, Promise<EventNode | null>>();
  private batch: { seq: number; resolve: (node: EventNode | null) => void; reject: (e: unknown) => void }[] | null = null;

  constructor(
    private readonly context: GraphqlContext,
    private readonly scope: Scope,
  ) {}

  load(seq: number): Promise<EventNode | null> {
    let hit = this.cache.get(seq);
    if (!hit) {
      hit = new Promise<EventNode | null>((resolve, reject) => {
        if (!this.batch) {
          this.batch = [];
          // After the current pass over the page has asked for all of its nodes.
          void resolved.then(() => process.nextTick(() => void this.flush()));
        }
        this.batch.push({ seq, resolve, reject });
      });
      this.cache.set(seq, hit);
    }
    return hit;
  }

  private async flush(): Promise<void> {
    const batch = this.batch ?? [];
    this.batch = null;
    const { hub } = this.context.deps;
    await Promise.all(
      batch.map(async ({ seq, resolve, reject }) => {
        try {
          this.context.checkDeadline();
          resolve(new EventNode(await hub.getEvent(this.scope, seq, 'graphql'), this.scope));
        } catch (error) {
          if (error instanceof HubError && error.kind === 'not-found') resolve(null);
          else reject(error);
        }
      }),
    );
  }
}
