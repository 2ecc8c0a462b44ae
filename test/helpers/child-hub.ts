import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { ADMIN_KEY } from './hub.js';
import { collectSchemas, schemaForDir, tagSchema, testDatabaseUrl, urlForSchema } from './pg.js';

export const CLI = resolve(process.cwd(), 'dist/cli/main.js');

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

export interface ChildHub {
  url: string;
  process: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The environment that puts a child hub on the test backend: with
 * HEROLD_TEST_DATABASE_URL set, a PostgreSQL schema derived from the data
 * directory (so a restart on the same directory finds its data again).
 */
export async function backendEnv(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Record<string, string>> {
  const pgUrl = testDatabaseUrl();
  if (!pgUrl || extraEnv.HEROLD_DATABASE_URL !== undefined) return {};
  await collectSchemas();
  const schema = schemaForDir(dataDir);
  await tagSchema(schema, dataDir);
  return { HEROLD_DATABASE_URL: urlForSchema(pgUrl, schema) };
}

/** `herold serve` as a real child process (the built CLI), ready when /readyz answers. */
export async function startChildHub(dataDir: string, port: number, extraEnv: Record<string, string> = {}): Promise<ChildHub> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data-dir', dataDir], {
    env: { ...process.env, HEROLD_ADMIN_KEY: ADMIN_KEY, HEROLD_LOG_LEVEL: 'warn', ...(await backendEnv(dataDir, extraEnv)), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}: ${out}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`hub did not become ready: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    process: child,
    output: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

export const auth = { authorization: `Bearer ${ADMIN_KEY}` };
