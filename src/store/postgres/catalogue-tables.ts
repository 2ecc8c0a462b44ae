import type pg from 'pg';
import type { CatalogueSettingsRecord, CatalogueStore, DeclarationRecord, SeenTypeRecord } from '../types.js';
import type { Db } from './db.js';

/**
 * The event type catalogue in PostgreSQL. Settings and declarations are held
 * in memory by every node, so each change is recorded in the cluster change
 * log in the same transaction; seen-type counts are only added to.
 */
export class PgCatalogueTables implements CatalogueStore {
  constructor(
    private readonly db: Db,
    private readonly changed: (client: pg.ClientBase, payload: { list: string }) => Promise<void>,
  ) {}

  async catalogueSettings(): Promise<CatalogueSettingsRecord[]> {
    return this.db.rows<CatalogueSettingsRecord>('SELECT list, validate, discoverable FROM catalogue_lists');
  }

  async putCatalogueSettings(r: CatalogueSettingsRecord): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        'INSERT INTO catalogue_lists (list, validate, discoverable) VALUES ($1, $2, $3) ON CONFLICT (list) DO UPDATE SET validate = excluded.validate, discoverable = excluded.discoverable',
        [r.list, r.validate, r.discoverable],
      );
      await this.changed(c, { list: r.list });
    });
  }

  async declarations(kind: 'type' | 'attribute'): Promise<DeclarationRecord[]> {
    const rows = await this.db.rows<Omit<DeclarationRecord, 'spec'> & { spec: string }>(
      'SELECT list, name, spec, updated_at AS "updatedAt" FROM catalogue_declarations WHERE kind = $1 ORDER BY list COLLATE "C", name COLLATE "C"',
      [kind],
    );
    return rows.map((r) => ({ ...r, spec: JSON.parse(r.spec) }));
  }

  async putDeclaration(kind: 'type' | 'attribute', r: DeclarationRecord): Promise<void> {
    await this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO catalogue_declarations (kind, list, name, spec, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kind, list, name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at`,
        [kind, r.list, r.name, JSON.stringify(r.spec), r.updatedAt],
      );
      await this.changed(c, { list: r.list });
    });
  }

  async deleteDeclaration(kind: 'type' | 'attribute', list: string, name: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      const deleted = ((await c.query('DELETE FROM catalogue_declarations WHERE kind = $1 AND list = $2 AND name = $3', [kind, list, name])).rowCount ?? 0) > 0;
      if (deleted) await this.changed(c, { list });
      return deleted;
    });
  }

  async addSeenTypes(rows: SeenTypeRecord[]): Promise<void> {
    if (rows.length === 0) return;
    // Sorted, so that two nodes adding to the same rows lock them in the same order.
    const sorted = [...rows].sort((a, b) => (a.list === b.list ? (a.type < b.type ? -1 : 1) : a.list < b.list ? -1 : 1));
    await this.db.query(
      `INSERT INTO catalogue_seen (list, type, count, invalid, first_seen, last_seen)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
       ON CONFLICT (list, type) DO UPDATE SET count = catalogue_seen.count + excluded.count, invalid = catalogue_seen.invalid + excluded.invalid,
         first_seen = LEAST(catalogue_seen.first_seen, excluded.first_seen), last_seen = GREATEST(catalogue_seen.last_seen, excluded.last_seen)`,
      [sorted.map((r) => r.list), sorted.map((r) => r.type), sorted.map((r) => r.count), sorted.map((r) => r.invalid), sorted.map((r) => r.firstSeen), sorted.map((r) => r.lastSeen)],
      'herold_add_seen_types',
    );
  }

  async seenTypes(list: string): Promise<SeenTypeRecord[]> {
    return this.db.rows<SeenTypeRecord>(
      'SELECT list, type, count, invalid, first_seen AS "firstSeen", last_seen AS "lastSeen" FROM catalogue_seen WHERE list = $1 ORDER BY type COLLATE "C"',
      [list],
    );
  }
}
