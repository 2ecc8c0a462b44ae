import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { act, clientFrom, usage, withConnection } from './connection.js';
import { collect } from './admin/command.js';
import { Progress } from './progress.js';

interface ReplayOpts {
  url: string;
  key?: string;
  out?: string;
  after?: string;
  since?: string;
  until?: string;
  filter?: string;
  type?: string[];
  subject?: string[];
  source?: string[];
}

export function registerReplay(program: Command): void {
  withConnection(
    program
      .command('replay <list>')
      .description('Write a range of a list to a file as NDJSON (one event per line), up to the head at the start, with a progress bar on stderr.')
      .option('--out <file>', "the file to write ('-': standard output)")
      .option('--after <seq>', 'start after this sequence number (default 0: the beginning)')
      .option('--since <time>', 'events committed at or after this time (RFC 3339)')
      .option('--until <time>', 'events committed before this time (RFC 3339)')
      .option('--filter <cesql>', 'only events this CESQL expression is true for')
      .option('--type <type>', 'only this type (repeatable)', collect)
      .option('--subject <subject>', 'only this subject (repeatable)', collect)
      .option('--source <source>', 'only this source (repeatable)', collect),
  ).action(async (list: string, o: ReplayOpts) => {
    if (!o.out) usage(`replay needs --out FILE (or --out - for standard output), e.g.\n  herold replay ${list} --since 2026-01-01T00:00:00Z --out ${list}.ndjson`);
    await act(o, async () => {
      const client = clientFrom(o);
      const { head, events } = await client.exportEvents(list, { after: o.after, since: o.since, until: o.until, filter: o.filter, type: o.type, subject: o.subject, source: o.source });
      const start = BigInt(o.after ?? '0');
      const span = BigInt(head) > start ? Number(BigInt(head) - start) : 0;
      // Progress through the range of sequence numbers: filtered events pass by without a line.
      const progress = new Progress(span, 'seqs');
      const out = o.out === '-' ? process.stdout : createWriteStream(o.out!);
      let count = 0;
      let at = start;
      for await (const event of events) {
        if (!out.write(JSON.stringify(event) + '\n')) await once(out, 'drain');
        count++;
        const seq = BigInt(event.heroldseq);
        progress.add(Number(seq - at));
        at = seq;
      }
      progress.add(Number(BigInt(head) > at ? BigInt(head) - at : 0n));
      progress.finish();
      if (out !== process.stdout) {
        out.end();
        await once(out, 'finish');
      }
      const summary = JSON.stringify({ events: count, through: head, out: o.out });
      (o.out === '-' ? process.stderr : process.stdout).write(summary + '\n');
    });
  });
}
