import { createHash } from 'node:crypto';
import type { ListCatalogue } from './list-catalogue.js';
import { textIn } from './declarations.js';
import { embedSchema, servedEventSchema } from './served-schema.js';
import { declaredTypes, visibleAttributes } from './views.js';
import { fieldsOf, type CatalogueViewer } from './viewer.js';
import { serves, projectEvent } from '../project.js';

export interface DescribedList {
  name: string;
  title: string | null;
  description: string | null;
}

/** A component key AsyncAPI accepts (`^[a-zA-Z0-9.\-_]+$`), unique within the document. */
function componentKeys(types: string[]): Map<string, string> {
  const keys = new Map<string, string>();
  const used = new Set<string>();
  for (const t of types) {
    const base = t.replace(/[^a-zA-Z0-9.\-_]/g, '_') || 'type';
    let key = base;
    for (let n = 2; used.has(key); n++) key = `${base}_${n}`;
    used.add(key);
    keys.set(t, key);
  }
  return keys;
}

/**
 * An AsyncAPI 3.0 document for one list as the viewer sees it: the ways to
 * receive its events (pull, Server-Sent Events, webhook, AMQP) as channels
 * and receive operations, one message per declared type, and each message's
 * payload the served structured CloudEvent projected by the viewer's grant:
 * attributes the grant does not serve are absent, and so is `data` (with its
 * schema and the examples' data) when the grant does not serve it.
 */
export function asyncApiDocument(list: DescribedList, c: ListCatalogue, viewer: CatalogueViewer, baseUrl: string): Record<string, unknown> {
  const fields = fieldsOf(viewer);
  const types = declaredTypes(c);
  const attributes = visibleAttributes(c, viewer);
  const keys = componentKeys(types.map((t) => t.type));
  const url = new URL(baseUrl);
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const t of types) {
    const key = keys.get(t.type)!;
    let dataRef: Record<string, unknown> | undefined;
    if (t.spec.schema !== undefined && serves(fields, 'data')) {
      const dataKey = `${key}.data`;
      schemas[dataKey] = embedSchema(t.spec.schema, `/components/schemas/${dataKey.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      dataRef = { $ref: `#/components/schemas/${dataKey}` };
    }
    messages[key] = {
      name: t.type,
      title: textIn(t.spec.title),
      summary: textIn(t.spec.title, 'en'),
      description: textIn(t.spec.description),
      contentType: 'application/cloudevents+json',
      payload: servedEventSchema(t, attributes, fields, dataRef),
      ...(t.spec.examples && { examples: t.spec.examples.map((e, i) => ({ name: `example${i + 1}`, payload: projectEvent(e, fields) })) }),
      ...(t.spec.deprecated && { 'x-deprecated': t.spec.deprecated }),
    };
  }
  const messageRefs = Object.fromEntries(Object.keys(messages).map((k) => [k, { $ref: `#/components/messages/${k}` }]));
  const channelMessages = (channel: string) => Object.keys(messages).map((k) => ({ $ref: `#/channels/${channel}/messages/${k}` }));
  const events = `/lists/${list.name}/events`;
  const httpBinding = (method: string) => ({ http: { method, bindingVersion: '0.3.0' } });
  return {
    asyncapi: '3.0.0',
    id: `urn:herold:list:${list.name}`,
    info: {
      title: list.title ?? list.name,
      version: version(c),
      description:
        (list.description ? `${list.description}\n\n` : '') +
        `Event list '${list.name}' as your grant serves it: attributes your grant does not serve are absent from every message.`,
    },
    defaultContentType: 'application/cloudevents+json',
    servers: {
      herold: {
        host: url.host,
        protocol: url.protocol.replace(':', ''),
        description: 'This hub. Authenticate with Authorization: Bearer <API key or token>.',
        security: [{ $ref: '#/components/securitySchemes/bearer' }],
      },
      webhook: {
        host: '{host}',
        protocol: 'https',
        description: 'Your webhook receiver: create a subscription with protocol HTTP (POST /lists/{list}/subscriptions).',
        variables: { host: { description: 'Host (and port) of your receiver.' } },
      },
      amqp: {
        host: '{host}',
        protocol: 'amqp',
        description: 'Your AMQP broker: create a subscription with protocol AMQP.',
        variables: { host: { description: 'Host (and port) of your broker.' } },
      },
    },
    channels: {
      pull: {
        address: events,
        title: 'Pull',
        description: 'GET pages of events after a cursor: ?after=N&limit=L, with type, subject, source, since, until and a CESQL filter.',
        servers: [{ $ref: '#/servers/herold' }],
        messages: messageRefs,
      },
      sse: {
        address: events,
        title: 'Server-Sent Events',
        description: 'GET with Accept: text/event-stream: replay from after (or Last-Event-ID), then live; each message has id: <seq>.',
        servers: [{ $ref: '#/servers/herold' }],
        messages: messageRefs,
      },
      webhook: {
        address: '{path}',
        title: 'Webhook',
        description: 'POSTed to your sink with Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature); structured or binary mode.',
        servers: [{ $ref: '#/servers/webhook' }],
        parameters: { path: { description: 'The path of your sink URL.' } },
        messages: messageRefs,
      },
      amqp: {
        address: '{destination}',
        title: 'AMQP',
        description: 'Persistent messages in CloudEvents AMQP binary mode, to the exchange (with routing key) or queue of your subscription.',
        servers: [{ $ref: '#/servers/amqp' }],
        parameters: { destination: { description: 'The exchange or queue named in the subscription.' } },
        messages: messageRefs,
        bindings: { amqp: { is: 'routingKey', exchange: { type: 'topic', durable: true, autoDelete: false }, bindingVersion: '0.3.0' } },
      },
    },
    operations: {
      pullEvents: { action: 'receive', channel: { $ref: '#/channels/pull' }, messages: channelMessages('pull'), bindings: httpBinding('GET') },
      streamEvents: { action: 'receive', channel: { $ref: '#/channels/sse' }, messages: channelMessages('sse'), bindings: httpBinding('GET') },
      receiveWebhook: { action: 'receive', channel: { $ref: '#/channels/webhook' }, messages: channelMessages('webhook'), bindings: httpBinding('POST') },
      receiveAmqp: { action: 'receive', channel: { $ref: '#/channels/amqp' }, messages: channelMessages('amqp'), bindings: { amqp: { ack: true, bindingVersion: '0.3.0' } } },
    },
    components: {
      messages,
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key or a JWT.' } },
    },
  };
}

/** The document's version: a digest of the declarations, so it changes exactly when one does. */
function version(c: ListCatalogue): string {
  const declarations = JSON.stringify([declaredTypes(c).map((t) => [t.type, t.spec]), [...c.attributes.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((a) => [a.name, a.spec])]);
  return `sha256:${createHash('sha256').update(declarations).digest('hex').slice(0, 16)}`;
}
