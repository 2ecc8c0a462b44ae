/** Request headers as node:http, Express, Fastify or fetch give them. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

/** One header's value (the first, when repeated), by case-insensitive name. */
export function headerOf(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  let v = record[name];
  if (v === undefined) {
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    v = key === undefined ? undefined : record[key];
  }
  return Array.isArray(v) ? v[0] : v;
}

/** All headers as a lower-case record (for decoding binary mode). */
export function headerRecord(headers: HeadersLike): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
    return out;
  }
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v[0]! : v;
  }
  return out;
}
