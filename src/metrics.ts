import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The hub's Prometheus metrics, one registry per running hub. */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsPublished = new Counter({
    name: 'herold_events_published_total',
    help: 'Events appended to lists (duplicates not counted).',
    labelNames: ['list'],
    registers: [this.registry],
  });
  readonly publishRequests = new Counter({
    name: 'herold_publish_requests_total',
    help: 'Publish requests by outcome status code.',
    labelNames: ['status'],
    registers: [this.registry],
  });
  readonly publishDuration = new Histogram({
    name: 'herold_publish_duration_seconds',
    help: 'Time from request received to durable commit answered.',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly readDuration = new Histogram({
    name: 'herold_read_duration_seconds',
    help: 'Time to answer one page of a pull read.',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly openStreams = new Gauge({
    name: 'herold_open_streams',
    help: 'Open live streams by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'herold_deliveries_total',
    help: 'Push delivery attempts by outcome (success, retry, dead, gone).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly deliveryDuration = new Histogram({
    name: 'herold_delivery_duration_seconds',
    help: 'Time for one push delivery attempt.',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'herold_dead_letters_total',
    help: 'Events dead-lettered by push subscriptions.',
    registers: [this.registry],
  });

  constructor(storeSize: () => Promise<number>) {
    new Gauge({
      name: 'herold_store_size_bytes',
      help: 'Bytes used by the store on disk.',
      registers: [this.registry],
      async collect() {
        this.set(await storeSize());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'herold_' });
  }

  /** Live streams in the hub's fast set (caught up, pushed each commit from one loop: hub/live-fanout.ts). */
  countPushedStreams(count: () => number): void {
    new Gauge({
      name: 'herold_pushed_streams',
      help: 'Live streams caught up and pushed each commit from the fast set.',
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  }
}
