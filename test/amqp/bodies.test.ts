import { describe, expect, it } from 'vitest';
import { toAmqpMessage, withMessageId } from '../../src/cloudevents/amqp-encode.js';
import { eventBody } from '../../src/delivery/sinks/amqp/bodies.js';

/** Pure: the message bodies AMQP sinks share per served event (no broker). */
describe('AMQP bodies shared across subscriptions', () => {
  const event = { specversion: '1.0', id: 'e1', source: '/s', type: 't.created', subject: 'a', heroldseq: '7', datacontenttype: 'application/json', data: { n: 1 } };
  const json = JSON.stringify(event);

  it('one body per list and seq for the same served text; the message is what toAmqpMessage makes, with its own id', () => {
    let parses = 0;
    const parse = () => {
      parses++;
      return JSON.parse(json) as Record<string, unknown>;
    };
    const a = eventBody('bodies-1', 'binary', 'cloudEvents', 7, json, parse);
    const b = eventBody('bodies-1', 'binary', 'cloudEvents', 7, json, parse);
    expect(b).toBe(a);
    expect(parses).toBe(1);
    expect(a.type).toBe('t.created');
    const m1 = withMessageId(a, 'msg_1');
    const m2 = withMessageId(b, 'msg_2');
    expect(m1).toEqual(toAmqpMessage(event, 'binary', 'cloudEvents', 'msg_1'));
    expect(m2.options.messageId).toBe('msg_2');
    expect(m1.options.messageId).toBe('msg_1');
  });

  it('another text for the same seq (a minimised event), another list or another style gets its own body', () => {
    const base = eventBody('bodies-2', 'binary', 'cloudEvents', 7, json, () => JSON.parse(json));
    const minimisedJson = JSON.stringify({ ...event, subject: undefined });
    const minimised = eventBody('bodies-2', 'binary', 'cloudEvents', 7, minimisedJson, () => JSON.parse(minimisedJson));
    expect(minimised).not.toBe(base);
    expect(minimised.headers).not.toHaveProperty('cloudEvents_subject');
    expect(eventBody('bodies-2', 'binary', 'cloudEvents', 7, json, () => JSON.parse(json))).toBe(base);
    expect(eventBody('bodies-3', 'binary', 'cloudEvents', 7, json, () => JSON.parse(json))).not.toBe(base);
    expect(eventBody('bodies-2', 'binary', 'ce', 7, json, () => JSON.parse(json)).headers).toHaveProperty('ce-subject', 'a');
  });

  it('structured mode sends the served text as is, without parsing it', () => {
    const body = eventBody('bodies-4', 'structured', 'cloudEvents', 7, json, () => {
      throw new Error('no parse');
    });
    expect(body.content.toString('utf8')).toBe(json);
    expect(withMessageId(body, 'm')).toEqual(toAmqpMessage(event, 'structured', 'cloudEvents', 'm'));
  });

  it('a list whose bodies are never shared stops keeping them for a while', () => {
    for (let seq = 1; seq <= 1100; seq++) {
      const text = JSON.stringify({ ...event, heroldseq: String(seq) });
      eventBody('bodies-5', 'binary', 'cloudEvents', seq, text, () => JSON.parse(text));
    }
    // Not kept now: the same text gives a new body each time.
    const text = JSON.stringify({ ...event, heroldseq: '2000' });
    const first = eventBody('bodies-5', 'binary', 'cloudEvents', 2000, text, () => JSON.parse(text));
    expect(eventBody('bodies-5', 'binary', 'cloudEvents', 2000, text, () => JSON.parse(text))).not.toBe(first);
    expect(eventBody('bodies-5', 'binary', 'cloudEvents', 2000, text, () => JSON.parse(text))).toEqual(first);
  });
});
