import type { Command } from 'commander';
import { clientFrom, fail, withConnection } from './connection.js';

interface TailOpts {
  url: string;
  key?: string;
  after?: string;
  type?: string[];
  subject?: string[];
  source?: string[];
  filter?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTail(program: Command): void {
  withConnection(
    program
      .command('tail <list>')
      .description('Follow a list live (Server-Sent Events); resumes by itself after a dropped connection.')
      .option('--after <seq>', 'start after this sequence number (default: from the beginning)')
      .option('--type <type>', 'only this type (repeatable)', collect)
      .option('--subject <subject>', 'only this subject (repeatable)', collect)
      .option('--source <source>', 'only this source (repeatable)', collect)
      .option('--filter <cesql>', 'CESQL filter expression')
      .option('--json', 'print one JSON event per line'),
  ).action(async (list: string, opts: TailOpts) => {
    const client = clientFrom(opts);
    const abort = new AbortController();
    process.on('SIGINT', () => abort.abort());
    try {
      for await (const ev of client.stream(list, {
        after: opts.after,
        type: opts.type,
        subject: opts.subject,
        source: opts.source,
        filter: opts.filter,
        signal: abort.signal,
      })) {
        if (opts.json) {
          process.stdout.write(JSON.stringify(ev) + '\n');
        } else {
          const subject = ev.subject ? ` ${ev.subject}` : '';
          process.stdout.write(`#${ev.heroldseq} ${ev.heroldtime} ${ev.type}${subject} (${ev.source} ${ev.id})\n`);
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) fail(error, opts.url);
    }
  });
}
