// Run one load generator in its own process, so its CPU is separate from the
// orchestrator's and measurable. Forked by runWorker(); params arrive over IPC,
// the result goes back over IPC.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export function runWorker(kind, params, { timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(join(HERE, 'worker.js'), [kind], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=4096'],
    });
    let result = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} worker timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (m) => {
      if (m.type === 'result') result = m.result;
      if (m.type === 'error') result = { error: m.error };
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (result?.error) reject(new Error(`${kind} worker: ${result.error}`));
      else if (result) resolve({ ...result, loadGeneratorPid: child.pid });
      else reject(new Error(`${kind} worker exited with ${code} and no result`));
    });
    child.send({ type: 'params', params });
  });
}

// Child side.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const kind = process.argv[2];
  process.once('message', async (m) => {
    try {
      const mod = await import(pathToFileURL(join(HERE, '..', 'load', `${kind}.js`)).href);
      const result = await mod.default(m.params);
      process.send({ type: 'result', result }, () => process.exit(0));
    } catch (error) {
      process.send({ type: 'error', error: String(error?.stack ?? error) }, () => process.exit(1));
    }
  });
}
