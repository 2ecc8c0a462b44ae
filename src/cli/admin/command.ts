import type { Command } from 'commander';
import type { HeroldClient } from '../../client/client.js';
import { act, clientFrom, withConnection } from '../connection.js';
import { type OutputFormat, withOutput } from '../output.js';

export interface CommonOpts {
  url: string;
  key?: string;
  output: OutputFormat;
}

/**
 * A verb under a resource command (`herold grants create ...`) with --url,
 * --key and --output; errors are printed with what to do next.
 */
export function verb<O extends object>(
  parent: Command,
  spec: string,
  description: string,
  configure: (cmd: Command) => Command,
  run: (client: HeroldClient, args: string[], opts: O & CommonOpts) => Promise<void>,
): Command {
  const cmd = withOutput(withConnection(configure(parent.command(spec).description(description))));
  cmd.action(async (...params: unknown[]) => {
    // commander passes the arguments, then the options, then the command.
    const opts = params[params.length - 2] as O & CommonOpts;
    const args = params.slice(0, -2) as string[];
    await act(opts, () => run(clientFrom(opts), args, opts));
  });
  return cmd;
}

/** The value of --filter: CESQL text, or a JSON array of Subscriptions API filters. */
export function parseFilter(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch (error) {
      throw new Error(`--filter looks like JSON but is not valid JSON (${(error as Error).message}); pass CESQL text or a JSON array of filters`);
    }
  }
  return text;
}

export const commaList = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
export const collect = (value: string, previous: string[] = []) => [...previous, value];
