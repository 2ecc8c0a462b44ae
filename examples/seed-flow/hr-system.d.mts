export interface HrSystem {
  baseUrl: string;
  persons: Map<string, { id: string; name: string; department: string }>;
  requests: string[];
  changePerson(id: string, changes: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}
export function setupHrBroker(options: { amqpUrl: string; exchange?: string; queue?: string; rejected?: string }): Promise<void>;
export function startHrSystem(options: { amqpUrl: string; exchange?: string; port?: number; host?: string; source?: string }): Promise<HrSystem>;
