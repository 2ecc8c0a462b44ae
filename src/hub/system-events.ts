import { randomUUID } from 'node:crypto';
import type { Hub } from './hub.js';

/**
 * The system event list: operational events about the hub itself
 * (subscriptions disabled, events dead-lettered). Admins read it and
 * subscribe to it like any other list.
 */
export const SYSTEM_LIST = 'herold.system';

/**
 * List names beginning with `herold.` belong to the hub: no door creates,
 * changes or publishes into them (access refuses it to everyone, admins
 * included); the hub writes its own events with `publishSystemEvent`.
 */
export const RESERVED_LIST_PREFIX = 'herold.';

export function isReservedListName(name: string): boolean {
  return name.startsWith(RESERVED_LIST_PREFIX);
}

export async function ensureSystemList(hub: Hub): Promise<void> {
  if (!(await hub.listExists(SYSTEM_LIST))) {
    await hub.putList({ name: SYSTEM_LIST, title: 'Herold system events', description: 'Operational events: subscriptions disabled, deliveries dead-lettered.' });
  }
}

export async function publishSystemEvent(hub: Hub, type: string, subject: string, data: Record<string, unknown>): Promise<void> {
  await hub.publish(SYSTEM_LIST, [
    {
      specversion: '1.0',
      id: randomUUID(),
      source: '/herold',
      type: `herold.${type}`,
      subject,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data,
    },
  ]);
}
