import type { WebSocket, WebsocketHandler } from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import type { ExecutionArgs, ExecutionResult, FormattedExecutionResult } from 'graphql';
import type { Context } from 'graphql-ws';
import { makeHandler, type Extra } from 'graphql-ws/use/@fastify/websocket';
import type { Principal } from '../../access/scope.js';
import { GraphqlContext } from './context.js';
import { formatResult, graphqlError } from './errors.js';
import { isAnonymous } from './http.js';
import { prepare, run, type Prepared } from './operation.js';
import { schema } from './schema.js';
import { subscribe, type Subscription, type SubscriptionHost } from './subscription.js';

/** Who a connection authenticated as (connection_init, or the upgrade request). */
interface Caller {
  principal: Principal;
  authorization: string | undefined;
}

/** What onSubscribe hands to execute/subscribe. */
interface Operation {
  caller: Caller;
  prepared: Prepared;
  request: FastifyRequest;
  socket: WebSocket;
}

/** Close codes: 4401 ends the stock client's retries; 1012 and 1013 make it reconnect (and resume). */
const UNAUTHORIZED = 4401;
const SERVICE_RESTART = 1012;
const TRY_AGAIN_LATER = 1013;

/**
 * The graphql-ws transport (graphql-transport-ws) at /graphql, on
 * @fastify/websocket. Credentials come in connection_init `{authorization}`
 * (browsers cannot set headers on a WebSocket) or with the upgrade request.
 * Operations run through the same prepare/run/subscribe as the other
 * transports; ws ping frames keep idle connections alive.
 */
export function wsHandler(host: SubscriptionHost, stallMs: number): WebsocketHandler {
  const callers = new WeakMap<object, Caller>();
  const logOf = (request: FastifyRequest) => (error: unknown) => request.log.error({ err: error }, 'GraphQL over WebSocket failed');

  return makeHandler(
    {
      schema,
      async onConnect(ctx: Context<Record<string, unknown> | undefined, Extra>) {
        const { request, socket } = ctx.extra;
        const given = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        let caller: Caller | undefined = request.principal ? { principal: request.principal, authorization: request.headers.authorization } : undefined;
        if (typeof given === 'string') {
          const principal = await host.access.authenticate(given);
          if (principal === null || 'error' in principal) {
            socket.close(UNAUTHORIZED, reason(principal && 'error' in principal ? principal.error : 'Unauthorized'));
            return false;
          }
          caller = { principal, authorization: given };
        }
        if (!caller) {
          socket.close(UNAUTHORIZED, 'Unauthorized: send connection_init {authorization: "Bearer <key>"}');
          return false;
        }
        callers.set(ctx, caller);
        return true;
      },
      onSubscribe(ctx: Context<Record<string, unknown> | undefined, Extra>, _id, payload) {
        const caller = callers.get(ctx)!;
        const prepared = prepare(payload, host.limits, { anonymous: isAnonymous(caller.principal) });
        if ('errors' in prepared) return prepared.errors;
        const operation: Operation = { caller, prepared, request: ctx.extra.request, socket: ctx.extra.socket };
        return { schema, document: prepared.document, operationName: prepared.operationName, variableValues: prepared.variables, contextValue: operation } satisfies ExecutionArgs;
      },
      async execute(args: ExecutionArgs) {
        const { caller, prepared } = args.contextValue as Operation;
        if (!caller.principal.admin) {
          const r = host.readRate.take(caller.principal.id);
          if (!r.ok) return { errors: [graphqlError('RATE_LIMITED', `You are over your request rate. Retry after ${r.retryAfterSeconds} s.`, { retryAfter: r.retryAfterSeconds })] };
        }
        const context = new GraphqlContext(host, caller.principal, Date.now() + host.limits.timeoutMs);
        return run(prepared, context, undefined, isAnonymous(caller.principal));
      },
      async subscribe(args: ExecutionArgs) {
        const { caller, prepared, socket } = args.contextValue as Operation;
        const abort = new AbortController();
        const sub = await subscribe(host, { principal: caller.principal, authorization: caller.authorization, prepared, kind: 'graphql-ws', signal: abort.signal });
        if ('errors' in sub) return sub;
        return results(sub, abort, socket, stallMs);
      },
      onNext(_ctx, _id, _payload, args, result) {
        return formatResult(result, logOf((args.contextValue as Operation).request)) as FormattedExecutionResult;
      },
    },
    host.heartbeatMs,
  );
}

/**
 * The subscription's results as graphql-ws pulls them. Not an async
 * generator: `return()` must stop the hub's follow at once (abort), not wait
 * behind a pending read. A consumer that does not take a result for
 * `stallMs` is cut off (1013, the client reconnects and resumes); a hub
 * shutting down closes with 1012 and no `complete`, so the client resubscribes.
 */
function results(sub: Subscription, abort: AbortController, socket: WebSocket, stallMs: number): AsyncGenerator<ExecutionResult> {
  let watchdog: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearTimeout(watchdog);
    abort.abort();
    void sub.return('interrupted');
    return { done: true as const, value: undefined };
  };
  const it: AsyncGenerator<ExecutionResult> = {
    async next() {
      clearTimeout(watchdog);
      for (;;) {
        const step = await sub.next();
        if (step.done) {
          if (step.value === 'interrupted' && !abort.signal.aborted) socket.close(SERVICE_RESTART, 'The hub is restarting; resubscribe after the last eventid you received.');
          return { done: true, value: undefined };
        }
        // ws ping frames keep the connection alive; idle steps need no message.
        if (step.value.kind === 'heartbeat') continue;
        watchdog = setTimeout(() => {
          socket.close(TRY_AGAIN_LATER, reason(`Consumer too slow: nothing was read for ${stallMs / 1000} s. Resubscribe after the last eventid you received.`));
          setTimeout(() => socket.terminate(), 1000).unref();
        }, stallMs);
        watchdog.unref();
        return { done: false, value: step.value.result };
      }
    },
    return: stop,
    throw: stop,
    [Symbol.asyncIterator]() {
      return it;
    },
    [Symbol.asyncDispose]: async () => void (await stop()),
  } as AsyncGenerator<ExecutionResult>;
  return it;
}

/** A close reason fits in 123 bytes. */
function reason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : `${Buffer.from(text).subarray(0, 120).toString('utf8')}...`;
}
