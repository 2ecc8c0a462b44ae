import { serves } from '../project.js';
import type { DescribedList } from './asyncapi.js';
import { textIn } from './declarations.js';
import type { ListCatalogue } from './list-catalogue.js';
import { declaredTypes } from './views.js';
import { fieldsOf, type CatalogueViewer } from './viewer.js';

export interface RegistryEntry {
  list: DescribedList;
  catalogue: ListCatalogue;
  viewer: CatalogueViewer;
}

const ENVELOPE = 'CloudEvents/1.0';

/**
 * The catalogue in the shape of the CloudEvents xRegistry (discovery): one
 * message group per list the caller may see or discover, one message per
 * declared type (envelope CloudEvents/1.0, the type as envelope metadata, the
 * data schema's URI when the caller's grant serves data), and per list the
 * endpoints of each way to receive it (pull, SSE, webhook and AMQP
 * subscriptions).
 */
export function registryDocument(entries: RegistryEntry[], baseUrl: string): Record<string, unknown> {
  const base = baseUrl.replace(/\/$/, '');
  const groups: Record<string, unknown> = {};
  const endpoints: Record<string, unknown> = {};
  for (const { list, catalogue, viewer } of entries) {
    const fields = fieldsOf(viewer);
    const messages: Record<string, unknown> = {};
    for (const t of declaredTypes(catalogue)) {
      const typePath = `/lists/${list.name}/types/${encodeURIComponent(t.type)}`;
      const hasSchema = viewer.kind !== 'discovers' && t.spec.schema !== undefined && serves(fields, 'data');
      messages[t.type] = {
        messageid: t.type,
        xid: `/messagegroups/${list.name}/messages/${t.type}`,
        ...(viewer.kind !== 'discovers' && { self: base + typePath }),
        name: textIn(t.spec.title) ?? t.type,
        description: textIn(t.spec.description),
        envelope: ENVELOPE,
        envelopemetadata: { type: { value: t.type }, specversion: { value: '1.0' } },
        ...(hasSchema && { dataschemaformat: 'JsonSchema/draft-2020-12', dataschemauri: `${base}${typePath}/schema` }),
        ...(t.spec.deprecated && { deprecated: { effective: t.spec.deprecated.since, ...(t.spec.deprecated.replacement && { alternative: `/messagegroups/${list.name}/messages/${t.spec.deprecated.replacement}` }) } }),
      };
    }
    const endpointIds = ['pull', 'sse', 'webhook', 'amqp'].map((mode) => `${list.name}.${mode}`);
    groups[list.name] = {
      messagegroupid: list.name,
      xid: `/messagegroups/${list.name}`,
      self: `${base}/lists/${list.name}`,
      name: list.title ?? list.name,
      description: list.description ?? undefined,
      envelope: ENVELOPE,
      access: viewer.kind === 'discovers' ? 'none' : undefined,
      messagescount: Object.keys(messages).length,
      messages,
      endpoints: endpointIds.map((id) => `/endpoints/${id}`),
    };
    const group = [`/messagegroups/${list.name}`];
    const events = `${base}/lists/${list.name}/events`;
    const subscriptions = `${base}/lists/${list.name}/subscriptions`;
    endpoints[endpointIds[0]] = endpoint(endpointIds[0], 'consumer', 'HTTP', { endpoints: [{ uri: events }], method: 'GET', headers: [{ name: 'accept', value: 'application/json' }] }, group, 'Pull pages of events after a cursor.');
    endpoints[endpointIds[1]] = endpoint(endpointIds[1], 'consumer', 'HTTP', { endpoints: [{ uri: events }], method: 'GET', headers: [{ name: 'accept', value: 'text/event-stream' }] }, group, 'Server-Sent Events: replay, then live.');
    endpoints[endpointIds[2]] = endpoint(endpointIds[2], 'subscriber', 'HTTP', { endpoints: [{ uri: subscriptions }], method: 'POST' }, group, 'Subscribe with protocol HTTP: events are POSTed to your webhook.');
    endpoints[endpointIds[3]] = endpoint(endpointIds[3], 'subscriber', 'AMQP/0.9.1', { endpoints: [{ uri: subscriptions }] }, group, 'Subscribe with protocol AMQP: events go to your exchange or queue.');
  }
  return {
    specversion: '1.0-rc1',
    registryid: 'herold',
    xid: '/',
    self: `${base}/registry`,
    name: 'Herold',
    description: 'Event lists you may read or discover, their event types and how to receive them.',
    messagegroupscount: Object.keys(groups).length,
    messagegroups: groups,
    endpointscount: Object.keys(endpoints).length,
    endpoints,
  };
}

function endpoint(id: string, usage: string, protocol: string, protocoloptions: Record<string, unknown>, messagegroups: string[], description: string): Record<string, unknown> {
  return { endpointid: id, xid: `/endpoints/${id}`, description, usage: [usage], envelope: ENVELOPE, protocol, protocoloptions, messagegroups };
}
