/**
 * Test helpers for the real RabbitMQ: availability (required when CI is set),
 * unique names, a management connection that declares what a test needs and
 * deletes it afterwards, a collecting consumer, and closing a named
 * connection from the broker side with rabbitmqctl.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options, connect } from 'amqplib';

export const AMQP_URL = process.env.HEROLD_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = promisify(execFile);

async function probe(): Promise<string | null> {
  try {
    const c = await Promise.race([
      connect(AMQP_URL, { timeout: 3000 }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 4 s')), 4000)),
    ]);
    await c.close();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const problem = await probe();
if (problem !== null) {
  if (process.env.CI) throw new Error(`RabbitMQ is required when CI is set, but ${AMQP_URL.replace(/:[^:@/]*@/, ':***@')} is unreachable: ${problem}`);
  const bar = '!'.repeat(78);
  console.warn(`\n${bar}\n  RabbitMQ is NOT reachable (${problem}).\n  The AMQP tests in test/amqp are SKIPPED. Start it with: rabbitmq-server -detached\n${bar}\n`);
}

/** Whether the broker is reachable; in CI an unreachable broker already failed the file. */
export const rabbitAvailable = problem === null;

/** A name no other test (or run) uses. */
export function unique(prefix: string): string {
  return `herold-test.${prefix}.${process.pid}.${randomBytes(4).toString('hex')}`;
}

/** Run every teardown step even if one fails; report failures without hiding the others. */
export async function teardown(...steps: (() => Promise<unknown> | unknown)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}

export const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(pred: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(25);
  }
}

export class Collector {
  readonly messages: ConsumeMessage[] = [];
  constructor(readonly queue: string) {}
  waitFor(n: number, ms = 15_000): Promise<void> {
    return until(() => this.messages.length >= n, ms, `${n} messages on ${this.queue} (have ${this.messages.length})`);
  }
  /** Binary-mode attributes of message i with the given prefix. */
  attributes(i: number, prefix = 'cloudEvents_'): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.messages[i].properties.headers ?? {})) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  }
  header(i: number, name: string): unknown {
    return this.messages[i].properties.headers?.[name];
  }
}

/** A management connection for one test file: declares, consumes, publishes, and cleans up. */
export class Rabbit {
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();
  private constructor(
    readonly conn: ChannelModel,
    readonly ch: ConfirmChannel,
  ) {}

  static async open(): Promise<Rabbit> {
    const conn = await connect(AMQP_URL, { clientProperties: { connection_name: `herold-test admin ${process.pid}` } });
    conn.on('error', () => undefined);
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    return new Rabbit(conn, ch);
  }

  /** A throwaway channel (a failed passive declare closes it). */
  async channel(): Promise<Channel> {
    const ch = await this.conn.createChannel();
    ch.on('error', () => undefined);
    return ch;
  }

  async queue(name: string, options: Options.AssertQueue = { durable: true }): Promise<string> {
    this.queues.add(name);
    await this.ch.assertQueue(name, options);
    return name;
  }

  async exchange(name: string, type = 'topic', options: Options.AssertExchange = { durable: true }): Promise<string> {
    this.exchanges.add(name);
    await this.ch.assertExchange(name, type, options);
    return name;
  }

  /** Remember names something else declared, so cleanup deletes them too. */
  track(kind: 'queue' | 'exchange', name: string): void {
    (kind === 'queue' ? this.queues : this.exchanges).add(name);
  }

  async bind(queue: string, exchange: string, pattern: string): Promise<void> {
    await this.ch.bindQueue(queue, exchange, pattern);
  }

  async collect(queue: string): Promise<Collector> {
    const c = new Collector(queue);
    await this.ch.consume(queue, (m) => m && c.messages.push(m), { noAck: true });
    return c;
  }

  async publish(exchange: string, routingKey: string, content: Buffer | string, options: Options.Publish = {}): Promise<void> {
    this.ch.publish(exchange, routingKey, Buffer.isBuffer(content) ? content : Buffer.from(content), { persistent: true, ...options });
    await this.ch.waitForConfirms();
  }

  async messageCount(queue: string): Promise<number> {
    const ch = await this.channel();
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async exists(kind: 'queue' | 'exchange', name: string): Promise<boolean> {
    const ch = await this.channel();
    try {
      if (kind === 'queue') await ch.checkQueue(name);
      else await ch.checkExchange(name);
      await ch.close().catch(() => undefined);
      return true;
    } catch {
      return false;
    }
  }

  async cleanup(): Promise<void> {
    await this.conn.close().catch(() => undefined);
    // A fresh connection: the test may have had this one closed (broker restart).
    const conn = await connect(AMQP_URL).catch(() => null);
    if (!conn) return;
    conn.on('error', () => undefined);
    for (const [kind, names] of [['queue', this.queues], ['exchange', this.exchanges]] as const) {
      for (const name of names) {
        const ch = await conn.createChannel().catch(() => null);
        if (!ch) continue;
        ch.on('error', () => undefined);
        await (kind === 'queue' ? ch.deleteQueue(name) : ch.deleteExchange(name)).catch(() => undefined);
        await ch.close().catch(() => undefined);
      }
    }
    await conn.close().catch(() => undefined);
  }
}

/**
 * Close, from the broker side, every connection whose `connection_name`
 * contains `fragment` (rabbitmqctl close_connection). Returns how many.
 */
export async function closeConnectionsNamed(fragment: string, reason = 'herold test: closed from the broker side'): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_connections', 'pid', 'client_properties', '--no-table-headers']);
  const pids: string[] = [];
  for (const line of stdout.split('\n')) {
    const pid = /^(<[^>]+>)/.exec(line.trim())?.[1];
    const name = /\{"connection_name","([^"]*)"\}/.exec(line)?.[1];
    if (pid && name?.includes(fragment)) pids.push(pid);
  }
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, reason]);
  return pids.length;
}

/**
 * Messages in the queue including those delivered but not yet acknowledged
 * (rabbitmqctl; a passive declare counts only the ready ones).
 */
export async function totalMessages(queue: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'messages', '--no-table-headers']);
  for (const line of stdout.split('\n')) {
    const [name, count] = line.trim().split(/\s+/);
    if (name === queue) return Number(count);
  }
  throw new Error(`queue ${queue} not found`);
}

/** Parse a binary-mode data body back as the event's data (JSON when the content type says so). */
export function bodyData(m: ConsumeMessage): unknown {
  const ct = String(m.properties.contentType ?? '');
  return /json/i.test(ct) ? JSON.parse(m.content.toString('utf8')) : m.content.toString('utf8');
}
