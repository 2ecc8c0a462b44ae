/**
 * Reads the runnable examples out of a Markdown page: every ```sh block, in page order, with the
 * `<!-- doctest: ... -->` directive that precedes it (if any), split into steps that each end with
 * the output the page shows for them.
 *
 * The convention (used sparingly; a block without a directive simply runs):
 *   <!-- doctest: serve -->          the next block starts a hub (or another server) in the foreground;
 *                                     the test runs it in the background until the page is done
 *   <!-- doctest: stream -->         the next block follows a stream that does not end by itself; the test
 *                                     stops it once the output the page shows has arrived
 *   <!-- doctest: skip REASON -->    the next block is not run; REASON says why (required)
 *   <!-- doctest: receiver PORT -->  the page's webhook receiver on 127.0.0.1:PORT is the test's receiver,
 *                                     which answers the validation handshake and 204 to every delivery
 *   <!-- doctest: setup              a hidden block: the commands up to `-->` run here, unseen by readers
 *   commands... -->                  (`<!-- doctest: serve` with commands is a hidden serve block)
 * Expected output: comment lines `# → text` directly after a command are what that command prints
 * (one `# →` line per output line); `#` lines indented by two or more spaces continue the line before.
 * A first line `# → 201 {...}` also states the HTTP status of the step's last curl.
 */
export type BlockKind = 'run' | 'serve' | 'stream' | 'skip';

export interface Step {
  /** Shell code of the step (may span several commands). */
  code: string;
  /** Expected output lines; empty when the page shows none. */
  expected: string[];
  /** The HTTP status the page states for the step's last curl. */
  status?: number;
  line: number;
}

export interface Block {
  file: string;
  line: number;
  kind: BlockKind;
  hidden: boolean;
  reason?: string;
  text: string;
  steps: Step[];
}

export interface Page {
  file: string;
  blocks: Block[];
  /** Ports of webhook receivers the test provides (`doctest: receiver PORT`). */
  receiverPorts: number[];
}

const DIRECTIVE = /^\s*<!--\s*doctest:\s*(\w+)\s*(.*?)\s*(-->)?\s*$/;
const FENCE = /^(\s*)```(\S*)\s*$/;

export function parsePage(file: string, markdown: string): Page {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  const receiverPorts: number[] = [];
  let pending: { kind: BlockKind; reason?: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const directive = DIRECTIVE.exec(lines[i]!);
    if (directive) {
      const [, name, rest, closed] = directive as unknown as [string, string, string, string | undefined];
      if (name === 'receiver') {
        receiverPorts.push(Number(rest));
      } else if ((name === 'setup' || name === 'serve') && !closed) {
        const start = i;
        const body: string[] = [];
        while (++i < lines.length && !lines[i]!.includes('-->')) body.push(lines[i]!);
        const text = body.join('\n');
        const kind = name === 'serve' ? 'serve' : 'run';
        blocks.push({ file, line: start + 1, kind, hidden: true, text, steps: splitSteps(text, start + 2) });
      } else if (name === 'serve' || name === 'stream' || name === 'skip') {
        if (name === 'skip' && !rest) throw new Error(`${file}:${i + 1}: doctest: skip needs a reason`);
        pending = { kind: name, reason: rest || undefined };
      } else {
        throw new Error(`${file}:${i + 1}: unknown doctest directive '${name}'`);
      }
      continue;
    }
    const fence = FENCE.exec(lines[i]!);
    if (!fence) continue;
    const [, indent, lang] = fence as unknown as [string, string, string];
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !new RegExp(`^${indent}\`\`\`\\s*$`).test(lines[i]!)) body.push(lines[i]!.slice(indent.length));
    if (lang !== 'sh') {
      if (pending) throw new Error(`${file}:${start + 1}: a doctest directive precedes a \`\`\`${lang} block`);
      continue;
    }
    const text = body.join('\n');
    const kind = pending?.kind ?? 'run';
    blocks.push({ file, line: start + 1, kind, hidden: false, reason: pending?.reason, text, steps: splitSteps(text, start + 2) });
    pending = undefined;
  }
  return { file, blocks, receiverPorts };
}

const EXPECTED = /^#\s?→\s?(.*)$/;
const CONTINUED = /^#\s{2,}(\S.*)$/;

export function splitSteps(text: string, firstLine: number): Step[] {
  const steps: Step[] = [];
  let code: string[] = [];
  let expected: string[] = [];
  let line = firstLine;
  const flush = (next: number) => {
    if (code.some((l) => l.trim() !== '' && !l.trim().startsWith('#')) || expected.length > 0) {
      const status = /^(\d{3})(?: (.*))?$/.exec(expected[0] ?? '');
      if (status) expected = status[2] === undefined ? expected.slice(1) : [status[2], ...expected.slice(1)];
      steps.push({ code: code.join('\n'), expected, status: status ? Number(status[1]) : undefined, line });
    }
    code = [];
    expected = [];
    line = next;
  };
  text.split('\n').forEach((raw, k) => {
    const l = raw.trimEnd();
    const exp = EXPECTED.exec(l);
    if (exp) {
      expected.push(exp[1]!);
      return;
    }
    const cont = expected.length > 0 ? CONTINUED.exec(l) : null;
    if (cont) {
      expected[expected.length - 1] += cont[1];
      return;
    }
    if (expected.length > 0) flush(firstLine + k);
    code.push(raw);
  });
  flush(0);
  return steps;
}

/**
 * Whether `actual` (a command's output) is what the page shows. `...` stands for any text; hub
 * timestamps (with milliseconds), subscription ids, webhook ids and secrets stand for any of their
 * kind; a last expected line `...` stands for any further lines. Blank output lines are ignored.
 */
export function matchOutput(expected: string[], actual: string, { prefix = false } = {}): string | undefined {
  const got = actual.replace(/\r/g, '').split('\n').filter((l) => l.trim() !== '');
  const open = expected.at(-1) === '...';
  const want = open ? expected.slice(0, -1) : expected;
  for (let k = 0; k < want.length; k++) {
    if (k >= got.length) return `line ${k + 1}: expected ${JSON.stringify(want[k])}, the output ended`;
    if (!linePattern(want[k]!).test(got[k]!)) return `line ${k + 1}: expected ${JSON.stringify(want[k])}\n  got      ${JSON.stringify(got[k])}`;
  }
  if (!open && !prefix && got.length > want.length) return `unexpected further output: ${JSON.stringify(got.slice(want.length))}`;
  return undefined;
}

const VARIABLE: [RegExp, string][] = [
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z'],
  [/sub_[0-9a-f]{32}/g, 'sub_[0-9a-f]{32}'],
  [/msg_[A-Za-z0-9_-]{27}/g, 'msg_[A-Za-z0-9_-]{27}'],
  [/whsec_[A-Za-z0-9+/]{43}=/g, 'whsec_[A-Za-z0-9+/]{43}='],
];

function linePattern(line: string): RegExp {
  const marks: string[] = [];
  let text = line;
  for (const [re, pattern] of VARIABLE) text = text.replace(re, () => `\u0000${marks.push(pattern) - 1}\u0000`);
  const escaped = text
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped.replace(/\u0000(\d+)\u0000/g, (_, n) => marks[Number(n)]!)}$`);
}
