/**
 * A small Gherkin reader: enough of the language for the CloudEvents
 * conformance feature files (Feature, Background, Scenario, Scenario Outline
 * with Examples, steps with doc strings and data tables, tags, comments).
 */
import { readFileSync } from 'node:fs';

export interface Step {
  keyword: string;
  text: string;
  docString?: string;
  dataTable?: string[][];
  line: number;
}

export interface Examples {
  name: string;
  header: string[];
  rows: string[][];
}

export interface Scenario {
  keyword: string;
  name: string;
  tags: string[];
  steps: Step[];
  examples: Examples[];
  line: number;
}

export interface Feature {
  name: string;
  tags: string[];
  background: Step[];
  scenarios: Scenario[];
}

/** A runnable scenario: outlines expanded, one per Examples row, background steps first. */
export interface Pickle {
  name: string;
  steps: Step[];
  /** The Examples row that produced it, by column name. */
  example?: Record<string, string>;
}

const STEP_KEYWORDS = ['Given ', 'When ', 'Then ', 'And ', 'But ', '* '];

function splitRow(line: string, lineNo: number): string[] {
  const t = line.trim();
  if (!t.startsWith('|') || !t.endsWith('|') || t.length < 2) throw new Error(`line ${lineNo}: malformed table row: ${line}`);
  const cells: string[] = [];
  let cell = '';
  for (let i = 1; i < t.length; i++) {
    const c = t[i]!;
    if (c === '\\' && i + 1 < t.length) {
      const n = t[i + 1]!;
      cell += n === 'n' ? '\n' : n; // \| \\ \n
      i++;
    } else if (c === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += c;
    }
  }
  return cells;
}

export function parseFeature(source: string): Feature {
  const lines = source.split(/\r?\n/);
  let feature: Feature | undefined;
  let pendingTags: string[] = [];
  let steps: Step[] | undefined; // where steps go now (background or scenario)
  let scenario: Scenario | undefined;
  let examples: Examples | undefined;
  let lastStep: Step | undefined;
  let section: 'none' | 'steps' | 'examples' = 'none';

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const t = raw.trim();
    if (t.startsWith('"""') || t.startsWith('```')) {
      const fence = t.slice(0, 3);
      if (!lastStep || section !== 'steps') throw new Error(`line ${lineNo}: doc string without a step`);
      const indent = raw.indexOf(fence);
      const content: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j]!;
        if (l.trim() === fence) break;
        // Remove the fence's indentation (only whitespace) from each content line.
        let k = 0;
        while (k < indent && k < l.length && (l[k] === ' ' || l[k] === '\t')) k++;
        content.push(l.slice(k).replace(/\\"\\"\\"/g, '"""'));
      }
      if (j >= lines.length) throw new Error(`line ${lineNo}: unterminated doc string`);
      lastStep.docString = content.join('\n');
      i = j;
      continue;
    }
    if (t === '' || t.startsWith('#')) continue;
    if (t.startsWith('@')) {
      pendingTags.push(...t.split(/\s+/).filter((x) => x.startsWith('@')));
      continue;
    }
    if (t.startsWith('|')) {
      const row = splitRow(t, lineNo);
      if (section === 'examples' && examples) {
        if (examples.header.length === 0) examples.header = row;
        else {
          if (row.length !== examples.header.length) throw new Error(`line ${lineNo}: Examples row has ${row.length} cells, header has ${examples.header.length}`);
          examples.rows.push(row);
        }
      } else if (section === 'steps' && lastStep) {
        (lastStep.dataTable ??= []).push(row);
      } else {
        throw new Error(`line ${lineNo}: table outside a step or Examples`);
      }
      continue;
    }
    const colon = t.indexOf(':');
    const keyword = colon > 0 ? t.slice(0, colon) : '';
    const rest = colon > 0 ? t.slice(colon + 1).trim() : '';
    if (keyword === 'Feature' || keyword === 'Ability' || keyword === 'Business Need') {
      feature = { name: rest, tags: pendingTags, background: [], scenarios: [] };
      pendingTags = [];
      section = 'none';
      continue;
    }
    if (keyword === 'Background') {
      if (!feature) throw new Error(`line ${lineNo}: Background before Feature`);
      steps = feature.background;
      scenario = undefined;
      lastStep = undefined;
      section = 'steps';
      continue;
    }
    if (['Scenario', 'Example', 'Scenario Outline', 'Scenario Template'].includes(keyword)) {
      if (!feature) throw new Error(`line ${lineNo}: ${keyword} before Feature`);
      scenario = { keyword, name: rest, tags: pendingTags, steps: [], examples: [], line: lineNo };
      pendingTags = [];
      feature.scenarios.push(scenario);
      steps = scenario.steps;
      lastStep = undefined;
      section = 'steps';
      continue;
    }
    if (keyword === 'Examples' || keyword === 'Scenarios') {
      if (!scenario) throw new Error(`line ${lineNo}: Examples outside a Scenario Outline`);
      examples = { name: rest, header: [], rows: [] };
      pendingTags = [];
      scenario.examples.push(examples);
      lastStep = undefined;
      section = 'examples';
      continue;
    }
    const sk = STEP_KEYWORDS.find((k) => t.startsWith(k));
    if (sk && section === 'steps' && steps) {
      lastStep = { keyword: sk.trim(), text: t.slice(sk.length).trim(), line: lineNo };
      steps.push(lastStep);
      continue;
    }
    // Free-form description text (after Feature/Scenario lines) is ignored.
    if (section === 'steps' && steps && steps.length > 0) throw new Error(`line ${lineNo}: unexpected text: ${t}`);
  }
  if (!feature) throw new Error('no Feature found');
  return feature;
}

function substitute(s: string, values: Record<string, string>): string {
  return s.replace(/<([^<>]+)>/g, (m, name: string) => (name in values ? values[name]! : m));
}

function instantiate(step: Step, values: Record<string, string>): Step {
  return {
    ...step,
    text: substitute(step.text, values),
    ...(step.docString !== undefined ? { docString: substitute(step.docString, values) } : {}),
    ...(step.dataTable ? { dataTable: step.dataTable.map((r) => r.map((c) => substitute(c, values))) } : {}),
  };
}

/** Expands outlines into one runnable scenario per Examples row. */
export function pickles(feature: Feature): Pickle[] {
  const out: Pickle[] = [];
  for (const sc of feature.scenarios) {
    if (sc.examples.length === 0) {
      out.push({ name: sc.name, steps: [...feature.background, ...sc.steps] });
      continue;
    }
    for (const ex of sc.examples) {
      for (const row of ex.rows) {
        const values: Record<string, string> = {};
        ex.header.forEach((h, k) => (values[h] = row[k]!));
        out.push({
          name: substitute(sc.name, values),
          steps: [...feature.background, ...sc.steps].map((s) => instantiate(s, values)),
          example: values,
        });
      }
    }
  }
  return out;
}

export function readFeature(path: string): Feature {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`conformance feature file missing at ${path} (expected ../shared beside the checkout): ${(e as Error).message}`);
  }
  return parseFeature(text);
}
