import { ApiError } from '../api';

/** A filter the hub refused: its message, and where in the expression the parser stopped (the hub says "… at N"). */
export interface FilterProblem {
  message: string;
  position?: number;
}

export function filterProblem(error: unknown): FilterProblem | null {
  if (!(error instanceof ApiError) || error.status !== 400) return null;
  const own = error.problem.errors?.find((e) => e.pointer.endsWith('/filter') || e.pointer.endsWith('/sql')) ?? error.problem.errors?.[0];
  const message = own?.message ?? error.problem.detail ?? '';
  const at = / at (\d+)$/.exec(message);
  return at ? { message: message.slice(0, at.index), position: Number(at[1]) } : { message };
}
