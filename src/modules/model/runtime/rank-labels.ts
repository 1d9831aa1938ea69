import type { LabelScore } from './model-runtime';

/** `scores[i]` is `labels[i]`'s; the result is highest score first. */
export function rankLabels<L extends string>(
  labels: readonly L[],
  scores: ArrayLike<number>,
): LabelScore<L>[] {
  return labels.map((label, i) => ({ label, score: scores[i] })).sort((a, b) => b.score - a.score);
}
