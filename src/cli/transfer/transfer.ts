import type {
  AccessRequestRecord,
  ApiKeyRecord,
  AuditRow,
  AuditSearchRow,
  CatalogueSettingsRecord,
  DeadLetterRow,
  DeclarationRecord,
  DeletedListRecord,
  EventStore,
  GrantRecord,
  ListRecord,
  PublisherRecord,
  RetryRow,
  SeenTypeRecord,
  StoredEvent,
  SubscriptionRecord,
} from '../../store/types.js';
import type { ExportedEvent } from './stores.js';

/**
 * The export format: NDJSON, one record per line, each with a `kind`. The
 * header comes first and counts what follows (for progress bars); then
 * settings, lists (each with its catalogue: settings, declared types and
 * attributes, then its events in seq order, then the counts of types seen),
 * what deleted lists left behind (their names and heads, so that a list
 * re-created under such a name continues after it), access (keys,
 * publishers, grants, requests), subscriptions with their retries and dead
 * letters, and the audit log with its record of searches. Event bodies travel
 * as the exact stored text. Console sessions do not travel: sign in again.
 */
export type ExportRecord =
  | { kind: 'herold-export'; version: 1; from: string; exportedAt: string; lists: number; events: number }
  | { kind: 'setting'; key: string; value: string }
  | ({ kind: 'list' } & ListRecord)
  | ({ kind: 'catalogueSettings' } & CatalogueSettingsRecord)
  | ({ kind: 'declaration'; declares: 'type' | 'attribute' } & DeclarationRecord)
  | ({ kind: 'event' } & ExportedEvent)
  | ({ kind: 'seenType' } & SeenTypeRecord)
  | ({ kind: 'deletedList' } & DeletedListRecord)
  | ({ kind: 'apiKey' } & ApiKeyRecord)
  | ({ kind: 'publisher' } & PublisherRecord)
  | ({ kind: 'grant' } & GrantRecord)
  | ({ kind: 'accessRequest' } & AccessRequestRecord)
  | ({ kind: 'subscription' } & SubscriptionRecord)
  | ({ kind: 'retry' } & RetryRow)
  | ({ kind: 'deadLetter' } & DeadLetterRow)
  | ({ kind: 'audit' } & AuditRow)
  | ({ kind: 'auditSearch' } & AuditSearchRow);

const SETTINGS = ['admin_key_sha256'];
const PAGE = 5000;

/** Everything in a store, record by record, with bounded memory (events are read page by page). */
export async function* exportStore(store: EventStore, from: string, onlyLists?: string[]): AsyncGenerator<ExportRecord> {
  let lists = await store.listLists();
  if (onlyLists && onlyLists.length > 0) {
    const missing = onlyLists.filter((n) => !lists.some((l) => l.name === n));
    if (missing.length > 0) throw new Error(`no such list: ${missing.join(', ')}`);
    lists = lists.filter((l) => onlyLists.includes(l.name));
  }
  const whole = !onlyLists || onlyLists.length === 0;
  yield { kind: 'herold-export', version: 1, from, exportedAt: new Date().toISOString(), lists: lists.length, events: lists.reduce((n, l) => n + l.head, 0) };
  if (whole) {
    for (const key of SETTINGS) {
      const value = await store.getSetting(key);
      if (value !== undefined) yield { kind: 'setting', key, value };
    }
  }
  const names = new Set(lists.map((l) => l.name));
  const settings = new Map((await store.catalogueSettings()).map((c) => [c.list, c]));
  const declarations = new Map<string, ExportRecord[]>();
  for (const declares of ['attribute', 'type'] as const) {
    for (const d of await store.declarations(declares)) {
      if (!names.has(d.list)) continue;
      const of = declarations.get(d.list) ?? (declarations.set(d.list, []), declarations.get(d.list)!);
      of.push({ kind: 'declaration', declares, ...d });
    }
  }
  for (const list of lists) {
    yield { kind: 'list', ...list };
    const catalogue = settings.get(list.name);
    if (catalogue) yield { kind: 'catalogueSettings', ...catalogue };
    yield* declarations.get(list.name) ?? [];
    let after = 0;
    while (after < list.head) {
      const page = await store.readRange(list.name, { after, upTo: list.head, limit: PAGE });
      if (page.length === 0) break;
      for (const e of page) yield { kind: 'event', list: list.name, seq: e.seq, prevSeq: e.prevSeq, time: e.time, body: e.body };
      after = page[page.length - 1].seq;
    }
    for (const seen of await store.seenTypes(list.name)) yield { kind: 'seenType', ...seen };
  }
  // A whole export also carries what deleted lists left: their names and heads, and the decided access requests that stay.
  const deleted = whole ? await store.deletedLists() : [];
  for (const d of deleted) yield { kind: 'deletedList', ...d };
  const requestLists = new Set([...names, ...deleted.map((d) => d.name)]);
  for (const k of whole ? await store.listApiKeys() : []) yield { kind: 'apiKey', ...k };
  for (const p of await store.listPublishers()) if (names.has(p.list)) yield { kind: 'publisher', ...p };
  for (const g of await store.listGrants()) if (names.has(g.list)) yield { kind: 'grant', ...g };
  for (const r of await store.listAccessRequests({})) if (requestLists.has(r.list)) yield { kind: 'accessRequest', ...r };
  for (const s of await store.listSubscriptions()) {
    if (!names.has(s.list)) continue;
    yield { kind: 'subscription', ...s };
    for (const r of await store.listRetries(s.id)) yield { kind: 'retry', ...r };
    let after = 0;
    for (;;) {
      const dead = await store.listDeadLetters(s.id, after, PAGE);
      for (const d of dead) yield { kind: 'deadLetter', ...d };
      if (dead.length < PAGE) break;
      after = dead[dead.length - 1].seq;
    }
  }
  for (const list of lists) {
    // Oldest first, so that an import keeps the order.
    const rows = await store.queryAudit({ list: list.name, limit: 10_000_000 });
    for (let i = rows.length - 1; i >= 0; i--) {
      const { id: _id, ...row } = rows[i];
      yield { kind: 'audit', ...row };
    }
    const searches = await store.queryAuditSearches({ list: list.name, limit: 10_000_000 });
    for (let i = searches.length - 1; i >= 0; i--) {
      const { id: _id, ...row } = searches[i];
      yield { kind: 'auditSearch', ...row };
    }
  }
}

export interface ImportCounts {
  lists: number;
  events: number;
  catalogueSettings: number;
  declarations: number;
  seenTypes: number;
  deletedLists: number;
  apiKeys: number;
  publishers: number;
  grants: number;
  accessRequests: number;
  subscriptions: number;
  retries: number;
  deadLetters: number;
  audit: number;
  auditSearches: number;
  skipped: number;
}

/**
 * Apply an export to a store. Lists must hold no events in the target (or
 * not exist); everything else that already exists there (same id) is left
 * as it is and counted as skipped.
 */
export async function importRecords(
  records: AsyncIterable<ExportRecord>,
  store: EventStore,
  progress: { header(total: number): void; events(n: number): void },
): Promise<ImportCounts> {
  const counts: ImportCounts = { lists: 0, events: 0, catalogueSettings: 0, declarations: 0, seenTypes: 0, deletedLists: 0, apiKeys: 0, publishers: 0, grants: 0, accessRequests: 0, subscriptions: 0, retries: 0, deadLetters: 0, audit: 0, auditSearches: 0, skipped: 0 };
  let batch: StoredEvent[] = [];
  let batchList = '';
  const flush = async () => {
    if (batch.length === 0) return;
    await store.importEvents(batchList, batch);
    counts.events += batch.length;
    progress.events(batch.length);
    batch = [];
  };
  let existing:
    | { keys: Set<string>; grants: Set<string>; requests: Set<string>; subs: Set<string>; publishers: Set<string>; catalogue: Set<string>; declarations: Set<string> }
    | undefined;
  const known = async () =>
    (existing ??= {
      keys: new Set((await store.listApiKeys()).map((k) => k.id)),
      grants: new Set((await store.listGrants()).map((g) => g.id)),
      requests: new Set((await store.listAccessRequests({})).map((r) => r.id)),
      subs: new Set((await store.listSubscriptions()).map((s) => s.id)),
      publishers: new Set((await store.listPublishers()).map((p) => `${p.list}\u0000${p.principal}\u0000${p.source}`)),
      catalogue: new Set((await store.catalogueSettings()).map((c) => c.list)),
      declarations: new Set([
        ...(await store.declarations('type')).map((d) => `type\u0000${d.list}\u0000${d.name}`),
        ...(await store.declarations('attribute')).map((d) => `attribute\u0000${d.list}\u0000${d.name}`),
      ]),
    });
  const seen: SeenTypeRecord[] = [];
  const retries: RetryRow[] = [];
  const dead: DeadLetterRow[] = [];
  const audit: AuditRow[] = [];
  let first = true;
  for await (const record of records) {
    if (first) {
      if (record.kind !== 'herold-export' || record.version !== 1) throw new Error('not a Herold export (the first line must be {"kind":"herold-export","version":1,...})');
      progress.header(record.events);
      first = false;
      continue;
    }
    if (record.kind !== 'event') await flush();
    switch (record.kind) {
      case 'setting':
        await store.setSetting(record.key, record.value);
        break;
      case 'list': {
        const target = await store.getList(record.name);
        if (target && target.head > 0) throw new Error(`list '${record.name}' already holds events (head ${target.head}) in the target; import into a store without them.`);
        await store.upsertList({ name: record.name, title: record.title, description: record.description, retentionDays: record.retentionDays, createdAt: record.createdAt, updatedAt: record.updatedAt });
        if (record.owner !== null) await store.setListOwner(record.name, record.owner);
        counts.lists++;
        break;
      }
      case 'catalogueSettings': {
        const { kind: _k, ...c } = record;
        if ((await known()).catalogue.has(c.list)) counts.skipped++;
        else await store.putCatalogueSettings(c), counts.catalogueSettings++;
        break;
      }
      case 'declaration': {
        const { kind: _k, declares, ...d } = record;
        if ((await known()).declarations.has(`${declares}\u0000${d.list}\u0000${d.name}`)) counts.skipped++;
        else await store.putDeclaration(declares, d), counts.declarations++;
        break;
      }
      case 'seenType': {
        const { kind: _k, ...r } = record;
        seen.push(r);
        break;
      }
      case 'deletedList': {
        const { kind: _k, ...d } = record;
        if (await store.importDeletedList(d)) counts.deletedLists++;
        else counts.skipped++;
        break;
      }
      case 'event': {
        if (batchList !== record.list || batch.length >= PAGE) await flush();
        batchList = record.list;
        batch.push({ seq: record.seq, prevSeq: record.prevSeq, time: record.time, body: record.body });
        break;
      }
      case 'apiKey': {
        const { kind: _k, ...key } = record;
        if ((await known()).keys.has(key.id)) counts.skipped++;
        else await store.createApiKey(key), counts.apiKeys++;
        break;
      }
      case 'publisher': {
        const { kind: _k, ...p } = record;
        if ((await known()).publishers.has(`${p.list}\u0000${p.principal}\u0000${p.source}`)) counts.skipped++;
        else await store.addPublisher(p), counts.publishers++;
        break;
      }
      case 'grant': {
        const { kind: _k, ...g } = record;
        if ((await known()).grants.has(g.id)) counts.skipped++;
        else await store.createGrant(g), counts.grants++;
        break;
      }
      case 'accessRequest': {
        const { kind: _k, ...r } = record;
        if ((await known()).requests.has(r.id)) counts.skipped++;
        else await store.createAccessRequest(r), counts.accessRequests++;
        break;
      }
      case 'subscription': {
        const { kind: _k, ...s } = record;
        if ((await known()).subs.has(s.id)) counts.skipped++;
        else await store.createSubscription(s), counts.subscriptions++;
        break;
      }
      case 'retry': {
        const { kind: _k, ...r } = record;
        retries.push(r);
        break;
      }
      case 'deadLetter': {
        const { kind: _k, ...d } = record;
        dead.push(d);
        break;
      }
      case 'audit': {
        const { kind: _k, ...a } = record;
        audit.push(a);
        if (audit.length >= PAGE) {
          await store.appendAudit(audit.splice(0));
          counts.audit += PAGE;
        }
        break;
      }
      case 'auditSearch': {
        const { kind: _k, ...a } = record;
        await store.recordAuditSearch(a);
        counts.auditSearches++;
        break;
      }
      default:
        throw new Error(`unknown record kind '${(record as { kind: string }).kind}'`);
    }
  }
  await flush();
  if (first) throw new Error('the export is empty');
  for (let i = 0; i < Math.max(retries.length, dead.length); i += PAGE) {
    await store.saveDeliveryWork({ progress: [], retries: retries.slice(i, i + PAGE), deleteRetries: [], deadLetters: dead.slice(i, i + PAGE), attempts: [] });
  }
  // The lists' counts start from nothing in the target (its lists held no events), so they are added as they were.
  for (let i = 0; i < seen.length; i += PAGE) await store.addSeenTypes(seen.slice(i, i + PAGE));
  counts.seenTypes = seen.length;
  counts.retries = retries.length;
  counts.deadLetters = dead.length;
  if (audit.length > 0) {
    counts.audit += audit.length;
    await store.appendAudit(audit);
  }
  return counts;
}
