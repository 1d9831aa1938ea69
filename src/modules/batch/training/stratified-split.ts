import seedrandom from 'seedrandom';

/** The seed every training split uses: the same examples always split the same way. */
export const SPLIT_SEED = 'vireo-train-classifier';

export interface Split {
  /** Indices into the examples, per part. */
  train: number[];
  validation: number[];
}

/**
 * Splits examples into training and validation per label, so both keep the label mix: each
 * label's examples (in the order given) are shuffled with a seeded generator and the first
 * `round(n * fraction)` of them validate, at least one for a label with two or more examples
 * (a label with one example only trains). Same labels, order and seed: same split.
 */
export function stratifiedSplit(
  labels: readonly string[],
  fraction: number,
  seed = SPLIT_SEED,
): Split {
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, index) => byLabel.set(label, [...(byLabel.get(label) ?? []), index]));
  const split: Split = { train: [], validation: [] };
  for (const label of [...byLabel.keys()].sort()) {
    const indices = shuffled(byLabel.get(label)!, seedrandom(`${seed}:${label}`));
    const count = indices.length < 2 ? 0 : Math.max(1, Math.round(indices.length * fraction));
    split.validation.push(...indices.slice(0, count));
    split.train.push(...indices.slice(count));
  }
  split.train.sort((a, b) => a - b);
  split.validation.sort((a, b) => a - b);
  return split;
}

/** Fisher-Yates with `random` (a copy; the input stays as it is). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
