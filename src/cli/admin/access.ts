import type { Command } from 'commander';
import type { AccessRequestView, ApiKeyView, GrantView, Publisher } from '../../client/api-types.js';
import { type Column, formatRecord, formatTable, show } from '../output.js';
import { commaList, parseFilter, verb } from './command.js';

const grantColumns: Column<GrantView>[] = [
  ['ID', (g) => g.id],
  ['LIST', (g) => g.list],
  ['PRINCIPAL', (g) => g.principal],
  ['FILTER', (g) => g.filter],
  ['FIELDS', (g) => g.fields?.join(',')],
  ['EXPIRES', (g) => g.expiresAt],
];
const requestColumns: Column<AccessRequestView>[] = [
  ['ID', (r) => r.id],
  ['LIST', (r) => r.list],
  ['PRINCIPAL', (r) => r.principal],
  ['STATUS', (r) => r.status],
  ['PURPOSE', (r) => r.purpose],
];
const keyColumns: Column<ApiKeyView>[] = [
  ['ID', (k) => k.id],
  ['PRINCIPAL', (k) => k.principal],
  ['ADMIN', (k) => (k.admin ? 'yes' : 'no')],
  ['PREFIX', (k) => k.prefix],
  ['EXPIRES', (k) => k.expiresAt],
  ['REVOKED', (k) => k.revokedAt],
];
const publisherColumns: Column<Publisher>[] = [
  ['PRINCIPAL', (p) => p.principal],
  ['SOURCE', (p) => p.source ?? '(any)'],
];

export function registerGrants(program: Command): void {
  const grants = program.command('grants').description('Read access of consumers: list, get, create, update (edit), expire, delete.');
  verb<{ list?: string }>(grants, 'list', 'Your grants (an admin: all); --list: one list’s (owner or admin).', (c) => c.option('--list <list>', "the list's grants"), async (client, _a, o) => {
    const all = o.list ? await client.grantsOfList(o.list) : await client.listGrants();
    show(o.output, { grants: all }, () => formatTable(all, grantColumns, '(no grants)'));
  });
  verb(grants, 'get <id>', 'One grant (an admin, the owner of its list, or the consumer it is for).', (c) => c, async (client, [id], o) => {
    const g = await client.getGrant(id!);
    show(o.output, g, () => formatRecord(g));
  });
  verb<{ principal: string; filter?: string; fields?: string; expiresAt?: string; expiresIn?: string }>(
    grants,
    'create <list>',
    'Let a principal read a list, limited to --filter and --fields, until --expires-at.',
    (c) =>
      c
        .requiredOption('--principal <principal>', 'who may read, e.g. 0192:987654321')
        .option('--filter <cesql>', 'which events (CESQL, or a JSON array of filters)')
        .option('--fields <attributes>', 'which attributes, comma-separated (others are removed)')
        .option('--expires-at <time>', 'the grant ends by itself then (RFC 3339)')
        .option('--expires-in <duration>', 'or after this long: 90d, 12h, 30m'),
    async (client, [list], o) => {
      const expiresAt = endOf(o);
      const g = await client.createGrant(list!, { principal: o.principal, filter: parseFilter(o.filter), fields: o.fields ? commaList(o.fields) : undefined, ...(expiresAt ? { expiresAt } : {}) });
      show(o.output, g, () => formatRecord(g));
    },
  );
  verb<{ filter?: string | false; fields?: string; allFields?: boolean; expiresAt?: string; expiresIn?: string; expires?: boolean }>(
    grants,
    'update <id>',
    "Change a grant's filter, fields or end; the consumer's open streams close and reopen under the new grant.",
    (c) =>
      c
        .alias('edit')
        .option('--filter <cesql>', 'which events (CESQL, or a JSON array of filters)')
        .option('--no-filter', 'every event of the list')
        .option('--fields <attributes>', 'which attributes, comma-separated')
        .option('--all-fields', 'every attribute')
        .option('--expires-at <time>', 'end the grant then (RFC 3339)')
        .option('--expires-in <duration>', 'or after this long: 90d, 12h, 30m')
        .option('--no-expires', 'never end by itself'),
    async (client, [id], o) => {
      const body: { filter?: unknown; fields?: string[] | null; expiresAt?: string | null } = {};
      if (o.filter === false) body.filter = null;
      else if (o.filter !== undefined) body.filter = parseFilter(o.filter);
      if (o.fields !== undefined && o.allFields) throw new Error('give --fields or --all-fields, not both');
      if (o.fields !== undefined) body.fields = commaList(o.fields);
      if (o.allFields) body.fields = null;
      const end = endOf(o);
      if (o.expires === false && end) throw new Error('give --expires-at/--expires-in or --no-expires, not both');
      if (o.expires === false) body.expiresAt = null;
      else if (end) body.expiresAt = end;
      if (Object.keys(body).length === 0) throw new Error('nothing to change: give --filter, --no-filter, --fields, --all-fields, --expires-at, --expires-in or --no-expires');
      const g = await client.updateGrant(id!, body);
      show(o.output, g, () => formatRecord(g));
    },
  );
  verb<{ at?: string; in?: string }>(
    grants,
    'expire <id>',
    'Set when a grant ends by itself (--at or --in); to end it now, delete it.',
    (c) => c.option('--at <time>', 'RFC 3339, e.g. 2027-01-01T00:00:00Z').option('--in <duration>', 'after this long: 90d, 12h, 30m'),
    async (client, [id], o) => {
      const expiresAt = endOf({ expiresAt: o.at, expiresIn: o.in, flags: ['--at', '--in'] });
      if (!expiresAt) throw new Error(`say when: --at 2027-01-01T00:00:00Z or --in 90d (to end access now: herold grants delete ${id})`);
      if (Date.parse(expiresAt) <= Date.now()) throw new Error(`${o.at} is not in the future; to end access now: herold grants delete ${id}`);
      const g = await client.updateGrant(id!, { expiresAt });
      show(o.output, g, () => `${g.id} ends ${g.expiresAt}`);
    },
  );
  verb(grants, 'delete <id>', 'Revoke a grant: open streams close at once.', (c) => c, async (client, [id], o) => {
    await client.revokeGrant(id!);
    show(o.output, { deleted: id }, () => `revoked ${id}`);
  });
}

export function registerRequests(program: Command): void {
  const requests = program.command('requests').description('Access requests: list, get, create, approve, deny.');
  verb<{ list?: string; status?: 'pending' | 'approved' | 'denied' }>(
    requests,
    'list',
    'Your requests, those for lists you own, or (admin) all.',
    (c) => c.option('--list <list>', 'only for this list').option('--status <status>', 'pending, approved or denied'),
    async (client, _a, o) => {
      const all = await client.listAccessRequests({ list: o.list, status: o.status });
      show(o.output, { requests: all }, () => formatTable(all, requestColumns, '(no access requests)'));
    },
  );
  verb<{ purpose: string; filter?: string }>(
    requests,
    'create <list>',
    'Ask for read access, with a purpose.',
    (c) => c.requiredOption('--purpose <text>', 'why you need it (the owner decides on it)').option('--filter <cesql>', 'the events you need'),
    async (client, [list], o) => {
      const r = await client.requestAccess(list!, { purpose: o.purpose, filter: parseFilter(o.filter) });
      show(o.output, r, () => formatRecord(r));
    },
  );
  verb<{ filter?: string; fields?: string }>(
    requests,
    'approve <id>',
    'Approve (owner or admin), possibly narrowing --filter and --fields; creates the grant.',
    (c) => c.option('--filter <cesql>', 'narrow the events').option('--fields <attributes>', 'the attributes, comma-separated'),
    async (client, [id], o) => {
      const r = await client.approveAccessRequest(id!, { filter: parseFilter(o.filter), fields: o.fields ? commaList(o.fields) : undefined });
      show(o.output, r, () => `${r.id} approved: grant ${r.grant.id}`);
    },
  );
  verb(requests, 'get <id>', 'One access request (whoever asked, the owner of its list, or an admin).', (c) => c, async (client, [id], o) => {
    const r = await client.getAccessRequest(id!);
    show(o.output, r, () => formatRecord(r));
  });
  verb<{ reason: string }>(requests, 'deny <id>', 'Deny with a reason.', (c) => c.requiredOption('--reason <text>', 'told to whoever asked'), async (client, [id], o) => {
    const r = await client.denyAccessRequest(id!, o.reason);
    show(o.output, r, () => `${r.id} denied`);
  });
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('API keys (admins): list, create, delete.');
  verb(keys, 'list', 'Every API key (never the key itself).', (c) => c, async (client, _a, o) => {
    const all = await client.listApiKeys();
    show(o.output, { keys: all }, () => formatTable(all, keyColumns, '(no API keys)'));
  });
  verb<{ principal: string; admin?: boolean; expiresAt?: string }>(
    keys,
    'create',
    'A new key for a principal; the key is shown once.',
    (c) => c.requiredOption('--principal <principal>', 'whose key').option('--admin', 'an admin key').option('--expires-at <time>', 'RFC 3339, e.g. 2027-01-01T00:00:00Z'),
    async (client, _a, o) => {
      const k = await client.createApiKey({ principal: o.principal, admin: o.admin, expiresAt: o.expiresAt });
      show(o.output, k, () => formatRecord(k) + '\nKeep the key: it is not shown again.');
    },
  );
  verb(keys, 'delete <id>', 'Revoke a key at once (its open streams close).', (c) => c, async (client, [id], o) => {
    await client.revokeApiKey(id!);
    show(o.output, { deleted: id }, () => `revoked ${id}`);
  });
}

export function registerPublishers(program: Command): void {
  const pubs = program.command('publishers').description('Who may publish to a list: list, add, remove.');
  verb(pubs, 'list <list>', "The list's publishers.", (c) => c, async (client, [list], o) => {
    const all = await client.listPublishers(list!);
    show(o.output, { publishers: all }, () => formatTable(all, publisherColumns, '(no publishers)'));
  });
  verb<{ principal: string; source?: string }>(
    pubs,
    'add <list>',
    'Let a principal publish, optionally only events whose source starts with --source.',
    (c) => c.requiredOption('--principal <principal>', 'who').option('--source <prefix>', 'required source prefix, e.g. /hr'),
    async (client, [list], o) => {
      const p = await client.addPublisher(list!, { principal: o.principal, source: o.source });
      show(o.output, p, () => formatRecord(p));
    },
  );
  verb(pubs, 'remove <list> <principal>', 'Stop a principal publishing.', (c) => c, async (client, [list, principal], o) => {
    await client.removePublisher(list!, principal!);
    show(o.output, { removed: principal }, () => `removed ${principal}`);
  });
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * When a grant ends, from `--expires-at <RFC 3339>` or `--expires-in <90d|12h|30m>` (undefined:
 * neither given). Checked here so a typo is a usage error that says what to type, not a 400.
 */
export function endOf(o: { expiresAt?: string; expiresIn?: string; flags?: [string, string] }): string | undefined {
  const [atFlag, inFlag] = o.flags ?? ['--expires-at', '--expires-in'];
  if (o.expiresAt !== undefined && o.expiresIn !== undefined) throw new Error(`give ${atFlag} or ${inFlag}, not both`);
  if (o.expiresIn !== undefined) {
    const m = /^(\d+)([mhd])$/.exec(o.expiresIn.trim());
    if (!m || Number(m[1]) === 0) throw new Error(`${inFlag} takes a positive number of minutes, hours or days, e.g. 30m, 12h or 90d; got '${o.expiresIn}'`);
    return new Date(Date.now() + Number(m[1]) * UNITS[m[2]!]!).toISOString();
  }
  if (o.expiresAt !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(o.expiresAt) || Number.isNaN(Date.parse(o.expiresAt))) {
      throw new Error(`${atFlag} takes an RFC 3339 time such as 2027-01-01T00:00:00Z; got '${o.expiresAt}'`);
    }
    return o.expiresAt;
  }
  return undefined;
}
