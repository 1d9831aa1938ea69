export interface LabelScores {
  precision: number;
  recall: number;
  f1: number;
  /** Validation examples of this label. */
  support: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  /** Unweighted mean of the labels' F1. */
  macroF1: number;
  perLabel: Record<string, LabelScores>;
  /** `matrix[actual][predicted]`, in `labels` order. */
  confusionMatrix: number[][];
}

/**
 * Accuracy, per-label precision/recall/F1 and the confusion matrix of predicted against
 * actual class indices (`labels[i]` names class i). A ratio with nothing to divide by is 0.
 */
export function classificationMetrics(
  labels: readonly string[],
  actual: readonly number[],
  predicted: readonly number[],
): ClassificationMetrics {
  if (actual.length !== predicted.length) {
    throw new RangeError(`${actual.length} actual classes but ${predicted.length} predicted`);
  }
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  actual.forEach((a, i) => matrix[a][predicted[i]]++);
  const correct = labels.reduce((sum, _, c) => sum + matrix[c][c], 0);
  const perLabel: Record<string, LabelScores> = {};
  labels.forEach((label, c) => {
    const support = matrix[c].reduce((sum, n) => sum + n, 0);
    const predictedAs = matrix.reduce((sum, row) => sum + row[c], 0);
    const precision = ratio(matrix[c][c], predictedAs);
    const recall = ratio(matrix[c][c], support);
    perLabel[label] = {
      precision: round(precision),
      recall: round(recall),
      f1: round(ratio(2 * precision * recall, precision + recall)),
      support,
    };
  });
  const f1s = Object.values(perLabel).map((s) => s.f1);
  return {
    accuracy: round(ratio(correct, actual.length)),
    macroF1: round(
      ratio(
        f1s.reduce((sum, f) => sum + f, 0),
        f1s.length,
      ),
    ),
    perLabel,
    confusionMatrix: matrix,
  };
}

/** The index of each row's highest score (`scores` row-major, `classes` a row). */
export function argmaxRows(scores: ArrayLike<number>, classes: number): number[] {
  const rows = scores.length / classes;
  return Array.from({ length: rows }, (_, row) => {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (scores[row * classes + c] > scores[row * classes + best]) best = c;
    }
    return best;
  });
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

/** Four decimals: what a report shows, and stable to compare. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
