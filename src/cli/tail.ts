import type { Command } from 'commander';
import { Consumer } from '../client/consumer.js';
import { fail, withConnection } from './connection.js';

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
      .description('Follow a list live (Server-Sent Events). Survives dropped connections and hub restarts: it reconnects and resumes after the last event shown.')
      .option('--after <seq>', "start after this sequence number ('head': only new events)", '0')
      .option('--type <type>', 'only this type (repeatable)', collect)
      .option('--subject <subject>', 'only this subject (repeatable)', collect)
      .option('--source <source>', 'only this source (repeatable)', collect)
      .option('--filter <cesql>', 'CESQL filter expression')
      .option('--json', 'print one JSON event per line'),
  ).action(async (list: string, opts: TailOpts) => {
    const abort = new AbortController();
    process.on('SIGINT', () => abort.abort());
    process.on('SIGTERM', () => abort.abort());
    const consumer = new Consumer({
      url: opts.url,
      key: opts.key,
      list,
      type: opts.type,
      subject: opts.subject,
      source: opts.source,
      filter: opts.filter,
      signal: abort.signal,
      onReconnect: ({ delayMs, error, reason }) => {
        const why = reason ?? describe(error);
        process.stderr.write(`herold: ${why}; reconnecting in ${(delayMs / 1000).toFixed(1)} s, resuming after #${consumer.position}\n`);
      },
    });
    try {
      for await (const ev of consumer.events({ from: opts.after })) {
        if (opts.json) process.stdout.write(JSON.stringify(ev) + '\n');
        else {
          const subject = ev.subject ? ` ${ev.subject}` : '';
          process.stdout.write(`#${ev.heroldseq} ${ev.heroldtime} ${ev.type}${subject} (${ev.source} ${ev.id})\n`);
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) fail(error, opts.url);
    }
  });
}

function describe(error: unknown): string {
  // fetch puts the socket's error in `cause`; node:http (the SDK's SSE stream) throws it as is.
  const e = error as Error & { code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'the hub does not answer';
  if (code === 'ECONNRESET' || e?.message === 'aborted' || e?.message === 'terminated') return 'the connection to the hub broke';
  return e?.message ?? 'the stream ended';
}
