import { CloudEvent, Mode, emitterFor } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, type TestHub, createList, startTestHub } from '../helpers/hub.js';

/** The official CloudEvents JS SDK publishes to the live endpoint in both modes. */
describe('cloudevents SDK interop over HTTP', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
    await createList(hub, 'sdk');
  });
  afterAll(() => hub.close());

  for (const mode of [Mode.BINARY, Mode.STRUCTURED]) {
    it(`accepts ${mode} mode from the SDK's HTTP emitter`, async () => {
      // The SDK's own httpTransport cannot add an Authorization header; this transport sends its message as is.
      let sent: { headers: Record<string, string>; body: string } | undefined;
      const emit = emitterFor(async (message) => {
        sent = { headers: message.headers as Record<string, string>, body: message.body as string };
        const res = await fetch(`${hub.url}/lists/sdk/events`, {
          method: 'POST',
          headers: { ...(message.headers as Record<string, string>), authorization: `Bearer ${ADMIN_KEY}` },
          body: message.body as string,
        });
        expect(res.status).toBe(201);
        return res.json();
      }, { mode });
      const ev = new CloudEvent({
        id: `sdk-${mode}`,
        source: '/sdk/source',
        type: 'sdk.person.changed',
        subject: 'person/42',
        time: '2026-05-06T07:08:09.123456Z',
        datacontenttype: 'application/json',
        data: { personId: 42, mode },
        kommunenr: '0301',
      });
      const result = (await emit(ev)) as { seq: string };
      const served = await (await hub.fetch(`/lists/sdk/events/${result.seq}`)).json();
      expect(served).toMatchObject({
        specversion: '1.0',
        id: `sdk-${mode}`,
        source: '/sdk/source',
        type: 'sdk.person.changed',
        subject: 'person/42',
        datacontenttype: 'application/json',
        data: { personId: 42, mode },
        kommunenr: '0301',
        heroldseq: result.seq,
      });
      // The SDK itself rewrites `time` to millisecond precision; the hub keeps exactly what it was sent.
      const sentTime = mode === Mode.BINARY ? sent!.headers['ce-time'] : JSON.parse(sent!.body).time;
      expect(served.time).toBe(sentTime);
    });
  }
});
