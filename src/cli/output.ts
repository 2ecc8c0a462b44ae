import { type Command, Option } from 'commander';

export type OutputFormat = 'table' | 'json';

/** `-o, --output table|json`. */
export function withOutput(cmd: Command): Command {
  return cmd.addOption(new Option('-o, --output <format>', 'table for people, json (the API answer) for programs').choices(['table', 'json']).default('table'));
}

/** A table column: its header and how to show a row's value. */
export type Column<T> = [header: string, value: (row: T) => unknown];

function cell(v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Rows as an aligned table (or a line that says there are none). */
export function formatTable<T>(rows: readonly T[], columns: Column<T>[], none = '(none)'): string {
  if (rows.length === 0) return none;
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => cell(f(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** One object as "field  value" lines. */
export function formatRecord(record: object): string {
  const entries = Object.entries(record);
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}

/** Print an API answer: as JSON (one line), or as the table `human` makes. */
export function show(format: OutputFormat, answer: unknown, human: () => string): void {
  process.stdout.write((format === 'json' ? JSON.stringify(answer) : human()) + '\n');
}
