import { Parser } from '@asyncapi/parser';

const parser = new Parser();

/** Parse and validate an AsyncAPI document; the errors (severity error) the parser reports, as text. */
export async function asyncApiErrors(doc: unknown): Promise<string[]> {
  const { diagnostics } = await parser.parse(JSON.stringify(doc));
  // Severity 0 is an error; warnings and hints (style advice) are not failures.
  return diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('/')}: ${d.message}`);
}
