/** What the SQL cursor stores share: table names that are safe to splice into SQL. */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

export function tableName(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`${what}: table '${name}' must be an SQL identifier ([A-Za-z_][A-Za-z0-9_]*, optionally schema.table)`);
  return name;
}

/** Load an optional peer dependency, or say how to install it. */
export async function optionalPeer<T>(name: string, what: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new Error(`${what} needs the '${name}' package: npm install ${name}`);
    }
    throw error;
  }
}
