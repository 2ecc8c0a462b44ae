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
  const grants = program.command('grants').description('Read access of consumers: list, create, delete.');
  verb<{ list?: string }>(grants, 'list', 'Your grants (an admin: all); --list: one list’s (owner or admin).', (c) => c.option('--list <list>', "the list's grants"), async (client, _a, o) => {
    const all = o.list ? await client.grantsOfList(o.list) : await client.listGrants();
    show(o.output, { grants: all }, () => formatTable(all, grantColumns, '(no grants)'));
  });
  verb<{ principal: string; filter?: string; fields?: string }>(
    grants,
    'create <list>',
    'Let a principal read a list, limited to --filter and --fields.',
    (c) =>
      c
        .requiredOption('--principal <principal>', 'who may read, e.g. 0192:987654321')
        .option('--filter <cesql>', 'which events (CESQL, or a JSON array of filters)')
        .option('--fields <attributes>', 'which attributes, comma-separated (others are removed)'),
    async (client, [list], o) => {
      const g = await client.createGrant(list!, { principal: o.principal, filter: parseFilter(o.filter), fields: o.fields ? commaList(o.fields) : undefined });
      show(o.output, g, () => formatRecord(g));
    },
  );
  verb(grants, 'delete <id>', 'Revoke a grant: open streams close at once.', (c) => c, async (client, [id], o) => {
    await client.revokeGrant(id!);
    show(o.output, { deleted: id }, () => `revoked ${id}`);
  });
}

export function registerRequests(program: Command): void {
  const requests = program.command('requests').description('Access requests: list, create, approve, deny.');
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
