import type { Command } from 'commander';
import type { ListView } from '../../client/api-types.js';
import { HeroldError } from '../../client/errors.js';
import { type Column, formatRecord, formatTable, show } from '../output.js';
import { verb } from './command.js';

const columns: Column<ListView>[] = [
  ['NAME', (l) => l.name],
  ['HEAD', (l) => l.head],
  ['RETENTION', (l) => (l.retentionDays ? `${l.retentionDays}d` : null)],
  ['OWNER', (l) => l.owner],
  ['TITLE', (l) => l.title],
];

export function registerLists(program: Command): void {
  const lists = program.command('lists').description('Event lists: list, get, put (create or update), delete.');
  verb(lists, 'list', 'The lists you may see, with their heads.', (c) => c, async (client, _args, o) => {
    const all = await client.listLists();
    show(o.output, { lists: all }, () => formatTable(all, columns, '(no lists you may see)'));
  });
  verb(lists, 'get <list>', 'One list.', (c) => c, async (client, [name], o) => {
    const list = await client.getList(name!);
    show(o.output, list, () => formatRecord(list));
  });
  verb<{ title?: string; description?: string; retentionDays?: string; owner?: string; discoverable?: string; validate?: string }>(
    lists,
    'put <list>',
    'Create a list, or update its title, description, retention or owner.',
    (c) =>
      c
        .option('--title <text>', 'a title for people')
        .option('--description <text>', 'what the list holds')
        .option('--retention-days <n>', "delete events older than this ('none' keeps them)")
        .option('--owner <principal>', 'who approves access requests (admins only)')
        .option('--discoverable <yes|no>', 'let every authenticated principal find the list and ask for access')
        .option('--validate <mode>', 'check events against the declared types: off, warn or enforce'),
    async (client, [name], o) => {
      const body: Record<string, unknown> = {};
      if (o.title !== undefined) body.title = o.title;
      if (o.description !== undefined) body.description = o.description;
      if (o.retentionDays !== undefined) {
        const n = Number(o.retentionDays);
        if (o.retentionDays !== 'none' && !(Number.isInteger(n) && n > 0)) throw new Error("--retention-days must be a positive whole number of days, or 'none'");
        body.retentionDays = o.retentionDays === 'none' ? null : n;
      }
      if (o.owner !== undefined) body.owner = o.owner;
      if (o.discoverable !== undefined) {
        if (o.discoverable !== 'yes' && o.discoverable !== 'no') throw new Error('--discoverable takes yes or no');
        body.discoverable = o.discoverable === 'yes';
      }
      if (o.validate !== undefined) body.validate = o.validate;
      const list = await client.putList(name!, body);
      show(o.output, list, () => formatRecord(list));
    },
  );
  verb<{ force?: boolean }>(
    lists,
    'delete <list>',
    'Delete a list with its events, grants and pending requests (owner or admin); --force also deletes its subscriptions.',
    (c) => c.option('--force', 'also when subscriptions exist: they are deleted with the list'),
    async (client, [name], o) => {
      try {
        await client.deleteList(name!, { force: o.force });
      } catch (error) {
        if (error instanceof HeroldError && error.status === 409 && !o.force) {
          throw new Error(
            `${error.message}\nSee them with 'herold subscriptions list --list ${name}' and delete them, or run 'herold lists delete ${name} --force' to delete them with the list.`,
          );
        }
        throw error;
      }
      show(o.output, { deleted: name }, () => `deleted ${name}${o.force ? ' (and its subscriptions)' : ''}`);
    },
  );
}
