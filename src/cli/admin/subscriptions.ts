import type { Command } from 'commander';
import type { Attempt, DeadLetter, RedeliverBody, SubscriptionBody, SubscriptionView, TestAttempt } from '../../client/api-types.js';
import { type Column, formatRecord, formatTable, show } from '../output.js';
import { collect, commaList, verb } from './command.js';

const columns: Column<SubscriptionView>[] = [
  ['ID', (s) => s.id],
  ['LIST', (s) => s.list],
  ['STATUS', (s) => s.status],
  ['POSITION', (s) => s.position],
  ['LAG', (s) => s.lag],
  ['SINK', (s) => s.sink],
];

interface SubscriptionFlags {
  sink?: string;
  protocol?: string;
  type?: string[];
  source?: string;
  filter?: string;
  mode?: string;
  start?: string;
  ordering?: string;
  retry?: string;
  timeout?: string;
  token?: string;
  exchange?: string;
  routingKey?: string;
  queue?: string;
  validate?: boolean;
}

/** The flags a subscription is made of (create and update take the same). */
function subscriptionFlags(c: Command): Command {
  return c
    .requiredOption('--sink <url>', 'where to deliver: https://... (webhook) or amqp://... (AMQP)')
    .option('--protocol <protocol>', 'HTTP or AMQP (default: from the sink URL)')
    .option('--type <type>', 'only events of this type (repeatable)', collect)
    .option('--source <source>', 'only events from this source')
    .option('--filter <cesql>', "a CESQL filter, e.g. \"subject LIKE 'person/%'\"")
    .option('--mode <mode>', 'structured (default) or binary')
    .option('--start <seq>', "'head' (default) or a sequence number to start after")
    .option('--ordering <ordering>', "'none' (default) or 'subject'")
    .option('--retry <seconds>', 'delays between attempts, e.g. 1,5,30')
    .option('--timeout <seconds>', 'seconds per attempt (default 15)')
    .option('--token <token>', 'HTTP: sent as Authorization: Bearer <token>')
    .option('--exchange <name>', 'AMQP: the exchange to publish to')
    .option('--routing-key <key>', 'AMQP: the routing key')
    .option('--queue <name>', 'AMQP: a queue to publish to directly')
    .option('--no-validate', 'HTTP: skip the validation handshake (admins only)');
}

function subscriptionBody(o: SubscriptionFlags): SubscriptionBody {
  const protocol = o.protocol ?? (/^amqps?:/.test(o.sink!) ? 'AMQP' : 'HTTP');
  const body: SubscriptionBody = { sink: o.sink!, protocol: protocol as 'HTTP' | 'AMQP' };
  if (o.type) body.types = o.type;
  if (o.source) body.source = o.source;
  if (o.filter) body.filters = [{ sql: o.filter }];
  const config: NonNullable<SubscriptionBody['config']> = {};
  if (o.mode) config.mode = o.mode as 'structured' | 'binary';
  if (o.start) config.start = o.start;
  if (o.ordering) config.ordering = o.ordering as 'none' | 'subject';
  if (o.retry) config.retry = commaList(o.retry).map(Number);
  if (o.timeout) config.timeout = Number(o.timeout);
  if (Object.keys(config).length > 0) body.config = config;
  const settings: Record<string, unknown> = {};
  if (o.token) settings.token = o.token;
  if (o.exchange) settings.exchange = o.exchange;
  if (o.routingKey) settings.routingkey = o.routingKey;
  if (o.queue) settings.queue = o.queue;
  if (o.validate === false) settings.validate = false;
  if (Object.keys(settings).length > 0) body.protocolsettings = settings;
  return body;
}

export function registerSubscriptions(program: Command): void {
  const subs = program.command('subscriptions').description('Push subscriptions (webhook, AMQP): list, get, create, update, delete, enable, disable, rotate-secret, attempts, deadletters, redeliver, test.');
  verb<{ list?: string }>(subs, 'list', 'The subscriptions you may see.', (c) => c.option('--list <list>', 'only those of this list'), async (client, _a, o) => {
    const all = await client.listSubscriptions({ list: o.list });
    show(o.output, { subscriptions: all }, () => formatTable(all, columns, '(no subscriptions)'));
  });
  verb(subs, 'get <id>', 'One subscription with its status, position and lag.', (c) => c, async (client, [id], o) => {
    const s = await client.getSubscription(id!);
    show(o.output, s, () => formatRecord(s));
  });
  verb<SubscriptionFlags>(subs, 'create <list>', 'Subscribe a sink to a list; the signing secret is shown once.', subscriptionFlags, async (client, [list], o) => {
    const s = await client.createSubscription(list!, subscriptionBody(o));
    show(o.output, s, () => formatRecord(s) + (s.secret ? '\nKeep the secret: it is not shown again (rotate-secret makes a new one).' : ''));
  });
  verb<SubscriptionFlags>(subs, 'update <id>', 'Replace a subscription (same flags as create); position, secrets and status are kept.', subscriptionFlags, async (client, [id], o) => {
    const s = await client.updateSubscription(id!, subscriptionBody(o));
    show(o.output, s, () => formatRecord(s));
  });
  verb(subs, 'delete <id>', 'Delete a subscription; deliveries stop at once.', (c) => c, async (client, [id], o) => {
    await client.deleteSubscription(id!);
    show(o.output, { deleted: id }, () => `deleted ${id}`);
  });
  verb(subs, 'enable <id>', 'Resume delivery from the position.', (c) => c, async (client, [id], o) => {
    const s = await client.enableSubscription(id!);
    show(o.output, s, () => `${s.id} ${s.status}`);
  });
  verb<{ reason?: string }>(subs, 'disable <id>', 'Pause delivery (nothing is lost).', (c) => c.option('--reason <text>', 'why, for whoever looks next'), async (client, [id], o) => {
    const s = await client.disableSubscription(id!, o.reason);
    show(o.output, s, () => `${s.id} ${s.status}${s.disabledReason ? ` (${s.disabledReason})` : ''}`);
  });
  verb<{ graceSeconds?: string }>(
    subs,
    'rotate-secret <id>',
    'A new signing secret; the old one stays valid for the grace period.',
    (c) => c.option('--grace-seconds <n>', 'how long the old secret stays valid (default 86400)'),
    async (client, [id], o) => {
      const s = await client.rotateSecret(id!, o.graceSeconds === undefined ? undefined : Number(o.graceSeconds));
      show(o.output, s, () => `secret  ${s.secret}\nKeep it: it is not shown again.`);
    },
  );
  const attemptColumns: Column<Attempt>[] = [
    ['AT', (a) => a.at],
    ['SEQ', (a) => a.seq],
    ['OUTCOME', (a) => a.outcome],
    ['STATUS', (a) => a.status],
    ['MS', (a) => a.latencyMs],
    ['ERROR', (a) => a.error],
  ];
  verb<{ limit?: string }>(subs, 'attempts <id>', 'Delivery attempts, newest first.', (c) => c.option('--limit <n>', 'how many (default 100)'), async (client, [id], o) => {
    const r = await client.attempts(id!, { limit: o.limit === undefined ? undefined : Number(o.limit) });
    show(o.output, r, () => formatTable(r.attempts, attemptColumns, '(no attempts yet)'));
  });
  const deadColumns: Column<DeadLetter>[] = [
    ['SEQ', (d) => d.seq],
    ['AT', (d) => d.at],
    ['FAILURES', (d) => d.failures],
    ['LAST', (d) => d.lastStatus],
    ['REASON', (d) => d.reason],
  ];
  verb(subs, 'deadletters <id>', 'Events that could not be delivered.', (c) => c, async (client, [id], o) => {
    const all = await client.deadLetters(id!);
    show(o.output, { deadletters: all }, () => formatTable(all, deadColumns, '(no dead letters)'));
  });
  verb<{ seqs?: string; from?: string; to?: string; since?: string; until?: string; deadletters?: boolean }>(
    subs,
    'redeliver <id>',
    'Deliver again: --seqs 3,4, or --from 3 [--to 9], or --since TIME [--until TIME] (commit time), or --deadletters.',
    (c) =>
      c
        .option('--seqs <list>', 'these sequence numbers, comma-separated')
        .option('--from <seq>', 'from this seq')
        .option('--to <seq>', 'up to this seq')
        .option('--since <time>', 'events committed at or after this time (RFC 3339)')
        .option('--until <time>', 'and before this time (RFC 3339)')
        .option('--deadletters', 'every dead letter'),
    async (client, [id], o) => {
      const forms = [o.seqs !== undefined, o.from !== undefined, o.since !== undefined || o.until !== undefined, o.deadletters === true].filter(Boolean).length;
      if (forms !== 1) throw new Error('give exactly one of --seqs, --from (with optional --to), --since (with optional --until) or --deadletters');
      if (o.to !== undefined && o.from === undefined) throw new Error('--to goes with --from');
      const body: RedeliverBody =
        o.seqs !== undefined
          ? { seqs: commaList(o.seqs) }
          : o.from !== undefined
            ? { from: o.from, ...(o.to ? { to: o.to } : {}) }
            : o.since !== undefined || o.until !== undefined
              ? { ...(o.since ? { since: o.since } : {}), ...(o.until ? { until: o.until } : {}) }
              : { deadletters: true };
      const r = await client.redeliver(id!, body);
      show(o.output, r, () => `redelivering ${r.redelivering} event(s)`);
    },
  );
  const testColumns: Column<TestAttempt>[] = [
    ['OUTCOME', (a) => a.outcome],
    ['STATUS', (a) => a.status],
    ['MS', (a) => a.latencyMs],
    ['ERROR', (a) => a.error],
  ];
  verb(subs, 'test <id>', 'Send a herold.test event to the sink now and show how it went (nothing is stored in the list).', (c) => c, async (client, [id], o) => {
    const a = await client.testSubscription(id!);
    show(o.output, a, () => {
      const table = formatTable([a], testColumns);
      return a.outcome === 'success' ? table : `${table}\nThe sink did not take it: fix the receiver (its answer is in --output json), then test again.`;
    });
  });
}
