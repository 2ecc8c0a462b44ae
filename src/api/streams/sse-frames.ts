/**
 * SSE frames (`id: <seq>\ndata: <json>\n\n`) made once per event and
 * rendering and shared by every stream that sends the same bytes: ten
 * thousand streams of one event write one Buffer instead of each building
 * and encoding its own string. A frame is reused only for the very same JSON
 * (one per projection of the event: whole, or minimised to a grant's fields),
 * and it is made of nothing but the seq and that JSON, so a stream is never
 * sent what another stream's scope allowed.
 */
const BUDGET_BYTES = 16 * 1024 * 1024;
/** A frame larger than this is made per write, not kept. */
const MAX_KEPT_BYTES = 256 * 1024;
const VARIANTS = 8;

interface Variant {
  json: string;
  frame: Buffer;
}

const frames = new Map<string, Map<number, Variant[]>>();
/** What was kept, oldest first, to evict within the budget. */
const kept: { list: string; seq: number; bytes: number }[] = [];
let keptHead = 0;
let keptBytes = 0;

export function sseFrame(list: string, seq: number, json: string): Buffer {
  let byList = frames.get(list);
  const variants = byList?.get(seq);
  // The same string object when streams share a rendering (hub/render.ts): a pointer compare.
  if (variants) for (const v of variants) if (v.json === json) return v.frame;
  const frame = Buffer.from(`id: ${seq}\ndata: ${json}\n\n`);
  if (frame.length > MAX_KEPT_BYTES || (variants && variants.length >= VARIANTS)) return frame;
  if (!byList) frames.set(list, (byList = new Map()));
  if (variants) variants.push({ json, frame });
  else byList.set(seq, [{ json, frame }]);
  kept.push({ list, seq, bytes: frame.length });
  keptBytes += frame.length;
  while (keptBytes > BUDGET_BYTES) evictOldest();
  return frame;
}

function evictOldest(): void {
  const { list, seq, bytes } = kept[keptHead++];
  keptBytes -= bytes;
  const byList = frames.get(list);
  const variants = byList?.get(seq);
  if (variants) {
    variants.shift();
    if (variants.length === 0) byList!.delete(seq);
    if (byList!.size === 0) frames.delete(list);
  }
  if (keptHead > 4096) {
    kept.splice(0, keptHead);
    keptHead = 0;
  }
}
