import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { clientFrom, fail, withConnection } from './connection.js';
import { Progress } from './progress.js';

interface PublishOpts {
  url: string;
  key?: string;
  file?: string;
  batchSize: string;
  type?: string;
  source?: string;
  subject?: string;
  id?: string;
  time?: string;
  data?: string;
  datacontenttype?: string;
}

export function registerPublish(program: Command): void {
  withConnection(
    program
      .command('publish <list>')
      .description('Publish one event from flags, or every event in a file (NDJSON, one CloudEvent per line, or a JSON array).')
      .option('-f, --file <path>', 'file of events; "-" reads standard input')
      .option('--batch-size <n>', 'events per request when publishing a file', '1000')
      .option('--type <type>', 'event type, e.g. no.folkeregister.person.changed')
      .option('--source <source>', 'event source, e.g. /folkeregister')
      .option('--subject <subject>', 'event subject, e.g. person/123')
      .option('--id <id>', 'event id (default: a new UUID)')
      .option('--time <time>', 'event time, RFC 3339 (default: none)')
      .option('--data <json>', 'event data as JSON')
      .option('--datacontenttype <type>', 'content type of data', 'application/json'),
  ).action(async (list: string, opts: PublishOpts) => {
    const client = clientFrom(opts);
    try {
      if (opts.file) return await publishFile(client, list, opts);
      if (!opts.type || !opts.source) {
        console.error('herold: publish needs --type and --source (or --file). Example:\n  herold publish people --type person.changed --source /hr --subject person/123');
        process.exit(2);
      }
      const event: Record<string, unknown> = { specversion: '1.0', id: opts.id ?? randomUUID(), source: opts.source, type: opts.type };
      if (opts.subject) event.subject = opts.subject;
      if (opts.time) event.time = opts.time;
      if (opts.data !== undefined) {
        event.datacontenttype = opts.datacontenttype;
        try {
          event.data = JSON.parse(opts.data);
        } catch {
          console.error('herold: --data is not valid JSON. Quote it, e.g. --data \'{"id":123}\'.');
          process.exit(2);
        }
      }
      const r = await client.publish(list, event);
      console.log(JSON.stringify(r));
    } catch (error) {
      fail(error, opts.url);
    }
  });
}

async function publishFile(client: ReturnType<typeof clientFrom>, list: string, opts: PublishOpts): Promise<void> {
  const batchSize = Number(opts.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    console.error('herold: --batch-size must be a positive integer.');
    process.exit(2);
  }
  const file = opts.file!;
  const input = file === '-' ? process.stdin : createReadStream(file);
  const size = file === '-' ? undefined : statSync(file).size;
  // Progress in bytes read, which is known up front; events are counted in the summary.
  const progress = new Progress(size, 'bytes');
  let batch: Record<string, unknown>[] = [];
  let published = 0;
  let duplicates = 0;
  let lineNo = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await client.publishBatch(list, batch);
    published += r.results.length;
    duplicates += r.results.filter((x) => x.duplicate).length;
    batch = [];
  };
  let pendingBytes = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let arrayMode = false;
  const arrayText: string[] = [];
  for await (const line of lines) {
    lineNo++;
    pendingBytes += Buffer.byteLength(line) + 1;
    if (lineNo === 1 && line.trimStart().startsWith('[')) arrayMode = true;
    if (arrayMode) {
      arrayText.push(line);
      continue;
    }
    if (line.trim() === '') continue;
    try {
      batch.push(JSON.parse(line));
    } catch {
      console.error(`\nherold: ${file}:${lineNo} is not valid JSON. Each line must be one CloudEvent; nothing after line ${lineNo - 1} was sent.`);
      process.exit(2);
    }
    if (batch.length >= batchSize) {
      await flush();
      progress.add(pendingBytes);
      pendingBytes = 0;
    }
  }
  if (arrayMode) {
    let all: unknown;
    try {
      all = JSON.parse(arrayText.join('\n'));
    } catch (error) {
      console.error(`herold: ${file} is not valid JSON: ${(error as Error).message}`);
      process.exit(2);
    }
    for (const ev of all as Record<string, unknown>[]) {
      batch.push(ev);
      if (batch.length >= batchSize) await flush();
    }
  }
  await flush();
  progress.add(pendingBytes);
  progress.finish();
  console.log(JSON.stringify({ published, duplicates }));
}
