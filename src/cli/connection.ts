import type { Command } from 'commander';
import { HeroldClient } from '../client/client.js';
import { HeroldError } from '../client/errors.js';

/** --url and --key for commands that talk to a running hub. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'hub URL [HEROLD_URL]', process.env.HEROLD_URL ?? 'http://127.0.0.1:8080')
    .option('--key <key>', 'API key [HEROLD_KEY]', process.env.HEROLD_KEY ?? process.env.HEROLD_ADMIN_KEY);
}

export function clientFrom(opts: { url: string; key?: string }): HeroldClient {
  return new HeroldClient({ url: opts.url, key: opts.key });
}

/** Print an error with what to do next, and exit non-zero. */
export function fail(error: unknown, url: string): never {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e.cause?.code === 'ECONNREFUSED') {
    console.error(`herold: no hub answers at ${url}. Start one with 'herold serve' or pass --url.`);
  } else if (e.message === 'fetch failed') {
    console.error(`herold: cannot reach ${url} (${e.cause?.code ?? e.cause?.message ?? 'network error'}). Check --url, or start a hub with 'herold serve'.`);
  } else if (e instanceof HeroldError && e.status === 401) {
    console.error(`herold: ${e.message}\nPass an API key with --key or HEROLD_KEY.`);
  } else if (e instanceof HeroldError && e.nextStep) {
    console.error(`herold: ${e.message}\n${e.nextStep}`);
  } else {
    console.error(`herold: ${e.message}`);
  }
  process.exit(1);
}

/** Run a command's work against the hub; any error is printed with what to do next. */
export async function act(opts: { url: string }, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    fail(error, opts.url);
  }
}

/** Stop with a usage error (exit 2) that says what to type instead. */
export function usage(message: string): never {
  console.error(`herold: ${message}`);
  process.exit(2);
}
