import type { EventEmitter } from 'node:events';
export interface Cms {
  people: Map<string, { id: string; name: string; department: string }>;
  seen: { id: string; subject: string; seq: string; messageId: string }[];
  events: EventEmitter;
  close(): Promise<void>;
}
export function cmsSubscription(options: { amqpUrl: string; queue?: string; holds: string[] }): Record<string, unknown>;
export function startCms(options: { amqpUrl: string; queue?: string; fetchPerson?: (href: string) => Promise<{ id: string; name: string; department: string }> }): Promise<Cms>;
