/** Seqs per list in the rowid encoding pos = list_id * 2^40 + seq. */
export const SEQ_BITS = 2 ** 40;
export const SEQ_MASK = SEQ_BITS - 1;
export const MAX_SEQ = SEQ_MASK;

/** The rowid of (list, seq); a BigInt only where a number would lose precision. */
export function pos(listId: number, seq: number): number | bigint {
  const p = listId * SEQ_BITS + seq;
  return Number.isSafeInteger(p) ? p : (BigInt(listId) << 40n) + BigInt(seq);
}
