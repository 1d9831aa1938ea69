/**
 * "Balanced" class weights (as scikit-learn's `compute_class_weight`): class `c` of `n`
 * examples over `k` classes weighs `n / (k * count_c)`, so every class adds as much to the
 * loss as if all were equally common. A class without examples weighs 0.
 */
export function balancedClassWeights(classIndices: readonly number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const c of classIndices) counts[c]++;
  return counts.map((count) => (count === 0 ? 0 : classIndices.length / (classes * count)));
}
