import type { Command } from 'commander';
import type { AuditDelivery, AuditRecord } from '../../client/api-types.js';
import { type Column, formatTable, show } from '../output.js';
import { verb } from './command.js';

const recordColumns: Column<AuditRecord>[] = [
  ['AT', (r) => r.at],
  ['PRINCIPAL', (r) => r.principal],
  ['LIST', (r) => r.list],
  ['CHANNEL', (r) => r.channel],
  ['SEQS', (r) => (r.firstSeq === r.lastSeq ? r.firstSeq : `${r.firstSeq}-${r.lastSeq}`)],
  ['COUNT', (r) => r.count],
];
const deliveryColumns: Column<AuditDelivery>[] = [
  ['AT', (d) => d.at],
  ['PRINCIPAL', (d) => d.principal],
  ['CHANNEL', (d) => d.channel],
  ['SEQ', (d) => d.seq],
  ['TYPE', (d) => d.type],
];

export function registerAudit(program: Command): void {
  verb<{ list?: string; subject?: string; principal?: string; since?: string; until?: string; limit?: string }>(
    program,
    'audit',
    'Who received which events (admins; owners for their lists). With --list and --subject: every delivery about that subject.',
    (c) =>
      c
        .option('--list <list>', 'only this list')
        .option('--subject <subject>', 'deliveries of events about this subject (needs --list)')
        .option('--principal <principal>', 'only this principal')
        .option('--since <time>', 'from this time (RFC 3339)')
        .option('--until <time>', 'before this time (RFC 3339)')
        .option('--limit <n>', 'at most this many records (default 1000)'),
    async (client, _a, o) => {
      const answer = await client.audit({ list: o.list, subject: o.subject, principal: o.principal, since: o.since, until: o.until, limit: o.limit === undefined ? undefined : Number(o.limit) });
      show(o.output, answer, () =>
        'deliveries' in answer ? formatTable(answer.deliveries, deliveryColumns, '(no deliveries about this subject)') : formatTable(answer.records, recordColumns, '(no audit records)'),
      );
    },
  );
}
