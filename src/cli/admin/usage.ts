import type { Command } from 'commander';
import type { UsageRow } from '../../client/api-types.js';
import { type Column, formatTable, show } from '../output.js';
import { verb } from './command.js';

const columns: Column<UsageRow>[] = [
  ['DAY', (r) => r.day],
  ['PRINCIPAL', (r) => r.principal],
  ['LIST', (r) => r.list],
  ['CHANNEL', (r) => r.channel],
  ['EVENTS', (r) => r.events],
];

export function registerUsage(program: Command): void {
  verb<{ principal?: string; list?: string; since?: string; until?: string }>(
    program,
    'usage',
    'Events delivered per day, principal, list and channel (admins; owners for their lists).',
    (c) =>
      c
        .option('--principal <principal>', 'only to this principal')
        .option('--list <list>', 'only from this list')
        .option('--since <time>', 'from this time (RFC 3339)')
        .option('--until <time>', 'before this time (RFC 3339)'),
    async (client, _a, o) => {
      const rows = await client.usage({ principal: o.principal, list: o.list, since: o.since, until: o.until });
      const total = rows.reduce((n, r) => n + r.events, 0);
      show(o.output, { usage: rows }, () => (rows.length === 0 ? '(nothing delivered in this window)' : `${formatTable(rows, columns)}\ntotal ${total} event(s)`));
    },
  );
}
