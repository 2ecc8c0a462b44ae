import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { ListInput } from '../store/types.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/**
 * Lists declared in a config file (JSON or YAML), applied at start:
 *   lists:
 *     - name: folkeregister.person
 *       title: Person changes
 */
export async function readDeclaredLists(file: string): Promise<ListInput[]> {
  let doc: unknown;
  try {
    const text = await readFile(file, 'utf8');
    doc = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new Error(`Cannot read the config file ${file}: ${(error as Error).message}. Check the path and its JSON/YAML syntax.`);
  }
  const lists = (doc as { lists?: unknown })?.lists;
  if (lists === undefined) return [];
  if (!Array.isArray(lists)) throw new Error(`${file}: 'lists' must be an array of {name, title?, description?, retentionDays?}.`);
  return lists.map((l, i) => {
    const item = l as Record<string, unknown>;
    if (typeof item?.name !== 'string' || !NAME.test(item.name)) {
      throw new Error(`${file}: lists[${i}].name must match [a-z0-9][a-z0-9._-]{0,127}.`);
    }
    for (const key of ['title', 'description'] as const) {
      if (item[key] !== undefined && typeof item[key] !== 'string') throw new Error(`${file}: lists[${i}].${key} must be a string.`);
    }
    if (item.retentionDays !== undefined && !(Number.isInteger(item.retentionDays) && (item.retentionDays as number) > 0)) {
      throw new Error(`${file}: lists[${i}].retentionDays must be a positive integer.`);
    }
    return {
      name: item.name,
      title: item.title as string | undefined,
      description: item.description as string | undefined,
      retentionDays: item.retentionDays as number | undefined,
    };
  });
}
