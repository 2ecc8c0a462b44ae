import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '../helpers/hub.js';
import { auth, type ChildHub, freePort, startChildHub } from '../helpers/child-hub.js';

const TOTAL = 200_000;

async function rssOf(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
  return Number(/^herold_process_resident_memory_bytes (\d+)/m.exec(text)![1]);
}

/** NDJSON replay of a large list: complete, in order, with bounded server memory. */
describe(`NDJSON replay of ${TOTAL.toLocaleString('en')} events`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'herold-replay-'));
  let hub: ChildHub;
  beforeAll(async () => {
    hub = await startChildHub(dataDir, await freePort(), { HEROLD_SYNC: 'normal' });
    await fetch(`${hub.url}/lists/big`, { method: 'PUT', headers: auth });
    for (let i = 0; i < TOTAL; i += 1000) {
      const events = Array.from({ length: 1000 }, () => makeEvent({ data: { pad: 'p'.repeat(150) } }));
      const res = await fetch(`${hub.url}/lists/big/events`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(events),
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await hub.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('streams every event in order', async () => {
    const res = await fetch(`${hub.url}/lists/big/events`, { headers: { ...auth, accept: 'application/x-ndjson' } });
    expect(res.headers.get('herold-head')).toBe(String(TOTAL));
    const decoder = new TextDecoder();
    let rest = '';
    let expected = 1;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const seq = Number(/"heroldseq":"(\d+)"/.exec(line)![1]);
        expect(seq).toBe(expected++);
      }
    }
    expect(expected - 1).toBe(TOTAL);
  });

  it('holds memory bounded while a consumer reads slowly (backpressure)', async () => {
    const before = await rssOf(hub.url);
    const res = await fetch(`${hub.url}/lists/big/events`, { headers: { ...auth, accept: 'application/x-ndjson' } });
    const reader = res.body!.getReader();
    let bytes = 0;
    // Read a little, then stall: the server must not read ahead into memory.
    for (let i = 0; i < 20; i++) bytes += (await reader.read()).value!.length;
    await new Promise((r) => setTimeout(r, 1500));
    const during = await rssOf(hub.url);
    await reader.cancel();
    const whole = TOTAL * 400;
    expect(bytes).toBeLessThan(whole / 4);
    // The whole range is ~80 MB of JSON; the server may not buffer it.
    expect(during - before).toBeLessThan(40 * 1024 * 1024);
  });
});
