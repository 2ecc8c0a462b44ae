import type { Database as Db } from 'better-sqlite3';
import type { CatalogueSettingsRecord, CatalogueStore, DeclarationRecord, SeenTypeRecord } from '../types.js';

/** The event type catalogue in SQLite: settings, declarations and seen-type counts. */
export class SqliteCatalogueTables implements CatalogueStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      settings: db.prepare('SELECT list, validate, discoverable FROM catalogue_lists'),
      putSettings: db.prepare(
        'INSERT INTO catalogue_lists (list, validate, discoverable) VALUES (?, ?, ?) ON CONFLICT (list) DO UPDATE SET validate = excluded.validate, discoverable = excluded.discoverable',
      ),
      declarations: db.prepare('SELECT list, name, spec, updated_at AS updatedAt FROM catalogue_declarations WHERE kind = ? ORDER BY list, name'),
      putDeclaration: db.prepare(
        'INSERT INTO catalogue_declarations (kind, list, name, spec, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, list, name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at',
      ),
      deleteDeclaration: db.prepare('DELETE FROM catalogue_declarations WHERE kind = ? AND list = ? AND name = ?'),
      addSeen: db.prepare(
        `INSERT INTO catalogue_seen (list, type, count, invalid, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (list, type) DO UPDATE SET count = count + excluded.count, invalid = invalid + excluded.invalid,
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
      ),
      seen: db.prepare('SELECT list, type, count, invalid, first_seen AS firstSeen, last_seen AS lastSeen FROM catalogue_seen WHERE list = ? ORDER BY type'),
    };
  }

  async catalogueSettings(): Promise<CatalogueSettingsRecord[]> {
    return (this.s.settings.all() as { list: string; validate: CatalogueSettingsRecord['validate']; discoverable: number }[]).map((r) => ({
      list: r.list,
      validate: r.validate,
      discoverable: r.discoverable === 1,
    }));
  }

  async putCatalogueSettings(r: CatalogueSettingsRecord): Promise<void> {
    this.s.putSettings.run(r.list, r.validate, r.discoverable ? 1 : 0);
  }

  async declarations(kind: 'type' | 'attribute'): Promise<DeclarationRecord[]> {
    return (this.s.declarations.all(kind) as (Omit<DeclarationRecord, 'spec'> & { spec: string })[]).map((r) => ({ ...r, spec: JSON.parse(r.spec) }));
  }

  async putDeclaration(kind: 'type' | 'attribute', r: DeclarationRecord): Promise<void> {
    this.s.putDeclaration.run(kind, r.list, r.name, JSON.stringify(r.spec), r.updatedAt);
  }

  async deleteDeclaration(kind: 'type' | 'attribute', list: string, name: string): Promise<boolean> {
    return this.s.deleteDeclaration.run(kind, list, name).changes > 0;
  }

  async addSeenTypes(rows: SeenTypeRecord[]): Promise<void> {
    this.db.transaction(() => {
      for (const r of rows) this.s.addSeen.run(r.list, r.type, r.count, r.invalid, r.firstSeen, r.lastSeen);
    })();
  }

  async seenTypes(list: string): Promise<SeenTypeRecord[]> {
    return this.s.seen.all(list) as SeenTypeRecord[];
  }
}
