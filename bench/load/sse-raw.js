// A raw Server-Sent Events read of the whole list (node:http, counting `id:` lines of data messages,
// no JSON parsing), as the floor under the SDK's SSE consumer in the `consumer` scenario.
import { get } from 'node:http';
import { CpuWindow, round } from '../lib/util.js';

export default async function sseRaw(p) {
  const { url, list, key, hubPid, expected } = p;
  const cpu = new CpuWindow(hubPid).start();
  const t0 = performance.now();
  const events = await new Promise((resolve, reject) => {
    const req = get(`${url}/lists/${list}/events?after=0`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE GET: HTTP ${res.statusCode}`));
      let n = 0;
      let carry = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const text = carry + chunk;
        let pos = 0;
        let i;
        while ((i = text.indexOf('\ndata: ', pos)) >= 0) {
          n++;
          pos = i + 7;
        }
        carry = text.slice(Math.max(pos, text.length - 7));
        if (n >= expected) {
          req.destroy();
          resolve(n);
        }
      });
      res.on('error', () => resolve(n));
    });
    req.on('error', reject);
  });
  const seconds = (performance.now() - t0) / 1000;
  return { eventsPerSecond: round(events / seconds), events, seconds: round(seconds, 3), cpu: cpu.stop() };
}
