import type { Command } from 'commander';
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { Progress } from '../progress.js';
import { type Location, describeLocation, openLocation, parseLocation } from './stores.js';
import { type ExportRecord, type ImportCounts, exportStore, importRecords } from './transfer.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The hub's own store, as `herold serve` would open it: HEROLD_DATABASE_URL, else HEROLD_DATA_DIR, else ./data. */
function defaultLocation(): string {
  return process.env.HEROLD_DATABASE_URL || process.env.HEROLD_DATA_DIR || './data';
}

async function withStore<T>(loc: Location, fn: (store: ReturnType<typeof openLocation>) => Promise<T>): Promise<T> {
  const store = openLocation(loc);
  await store.open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function* readNdjson(input: NodeJS.ReadableStream, onBytes: (n: number) => void): AsyncGenerator<ExportRecord> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    onBytes(Buffer.byteLength(line) + 1);
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as ExportRecord;
    } catch {
      throw new Error(`line ${n} is not JSON`);
    }
  }
}

async function writeLine(out: Writable, record: ExportRecord): Promise<void> {
  if (!out.write(JSON.stringify(record) + '\n')) await once(out, 'drain');
}

/** Import into `to` through the store's interface (events with their numbers: EventImport). */
function importInto(to: Location, records: AsyncIterable<ExportRecord>, progress: { header(total: number): void; events(n: number): void }): Promise<ImportCounts> {
  return withStore(to, (store) => importRecords(records, store, progress));
}

function summary(c: ImportCounts): string {
  const parts = Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n.toLocaleString('en')} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

function die(error: unknown): never {
  console.error(`herold: ${(error as Error).message}`);
  process.exit(1);
}

export function registerTransfer(program: Command): void {
  program
    .command('export')
    .description('Write lists with their events, access and subscriptions as NDJSON (sequence numbers kept). Works on the store directly: stop the hub or use a copy.')
    .option('--from <dir|url>', 'SQLite data directory or postgres:// URL [HEROLD_DATABASE_URL, HEROLD_DATA_DIR, ./data]')
    .option('--list <name>', 'only this list (repeatable; without it, everything)', collect)
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: { from?: string; list?: string[]; out?: string }) => {
      try {
        const from = parseLocation(opts.from ?? defaultLocation());
        const out: Writable = opts.out ? createWriteStream(opts.out) : process.stdout;
        let progress: Progress | undefined;
        await withStore(from, async (store) => {
          for await (const record of exportStore(store, from.kind, opts.list)) {
            if (record.kind === 'herold-export') progress = new Progress(record.events || undefined, 'events');
            else if (record.kind === 'event') progress?.add(1);
            await writeLine(out, record);
          }
        });
        progress?.finish();
        if (opts.out) {
          out.end();
          await once(out, 'finish');
        }
        process.stderr.write(`exported from ${describeLocation(from)}\n`);
      } catch (error) {
        die(error);
      }
    });

  program
    .command('import')
    .description('Read an NDJSON export into a store, keeping sequence numbers. Its lists must hold no events there yet.')
    .option('--to <dir|url>', 'SQLite data directory or postgres:// URL [HEROLD_DATABASE_URL, HEROLD_DATA_DIR, ./data]')
    .option('--in <file>', 'read this file instead of stdin')
    .action(async (opts: { to?: string; in?: string }) => {
      try {
        const to = parseLocation(opts.to ?? defaultLocation());
        const input = opts.in ? createReadStream(opts.in) : process.stdin;
        // With a file, the bar follows the bytes read; from a pipe, the events written.
        const bytes = opts.in ? new Progress(statSync(opts.in).size, 'bytes') : undefined;
        let events: Progress | undefined;
        const counts = await importInto(to, readNdjson(input, (n) => bytes?.add(n)), {
          header: (total) => {
            if (!bytes) events = new Progress(total || undefined, 'events');
          },
          events: (n) => events?.add(n),
        });
        (bytes ?? events)?.finish();
        process.stderr.write(`imported into ${describeLocation(to)}: ${summary(counts)}\n`);
      } catch (error) {
        die(error);
      }
    });

  program
    .command('migrate')
    .description('Move a hub\'s data from one store to another (SQLite ⇄ PostgreSQL), keeping sequence numbers; checks every list\'s head afterwards. Stop the hub first.')
    .requiredOption('--from <dir|url>', 'source: SQLite data directory or postgres:// URL')
    .requiredOption('--to <dir|url>', 'target: SQLite data directory or postgres:// URL')
    .option('--list <name>', 'only this list (repeatable; without it, everything)', collect)
    .action(async (opts: { from: string; to: string; list?: string[] }) => {
      try {
        const from = parseLocation(opts.from);
        const to = parseLocation(opts.to);
        process.stderr.write(`migrating ${describeLocation(from)} → ${describeLocation(to)}\n`);
        let progress: Progress | undefined;
        const heads = new Map<string, number>();
        const counts = await withStore(from, async (source) => {
          const records = (async function* () {
            for await (const r of exportStore(source, from.kind, opts.list)) {
              if (r.kind === 'list') heads.set(r.name, r.head);
              yield r;
            }
          })();
          return importInto(to, records, { header: (total) => (progress = new Progress(total || undefined, 'events')), events: (n) => progress?.add(n) });
        });
        progress?.finish();
        const wrong = await withStore(to, async (target) => {
          const bad: string[] = [];
          for (const [name, head] of heads) {
            const got = (await target.getList(name))?.head ?? -1;
            if (got !== head) bad.push(`${name}: head ${got}, expected ${head}`);
          }
          return bad;
        });
        if (wrong.length > 0) throw new Error(`the target does not match: ${wrong.join('; ')}`);
        process.stderr.write(`migrated ${summary(counts)}; every list's head matches\n`);
      } catch (error) {
        die(error);
      }
    });
}
