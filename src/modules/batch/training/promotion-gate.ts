export interface GateSettings {
  /** TRAIN_MIN_ACCURACY */
  minAccuracy: number;
  /** TRAIN_PROMOTE_MARGIN */
  promoteMargin: number;
  /** TRAIN_MIN_EXAMPLES_PER_LABEL */
  minExamplesPerLabel: number;
}

export interface GateInput {
  /** The staged version's validation accuracy. */
  accuracy: number;
  /** Production's accuracy on the same validation examples; null when there is none. */
  productionAccuracy: number | null;
  /** Labelled examples (training and validation) per label. */
  examplesPerLabel: Record<string, number>;
}

export interface GateDecision {
  promote: boolean;
  /** `promoted`, `too_few_examples`, `below_min_accuracy` or `not_better_than_production`. */
  code: string;
  reason: string;
}

/**
 * Whether a freshly trained version replaces production: every label has enough examples,
 * it reaches the accuracy floor (a first version must, and no later one may fall below it),
 * and it beats production on the same validation examples by the margin.
 */
export function decidePromotion(input: GateInput, settings: GateSettings): GateDecision {
  const scarce = Object.entries(input.examplesPerLabel)
    .filter(([, count]) => count < settings.minExamplesPerLabel)
    .map(([label, count]) => `${label} (${count})`);
  if (scarce.length > 0) {
    return refuse(
      'too_few_examples',
      `Labels with fewer than TRAIN_MIN_EXAMPLES_PER_LABEL=${settings.minExamplesPerLabel} ` +
        `examples: ${scarce.join(', ')}`,
    );
  }
  if (input.accuracy < settings.minAccuracy) {
    return refuse(
      'below_min_accuracy',
      `Validation accuracy ${input.accuracy} is below TRAIN_MIN_ACCURACY=${settings.minAccuracy}`,
    );
  }
  const { productionAccuracy } = input;
  if (productionAccuracy === null) {
    return {
      promote: true,
      code: 'promoted',
      reason: `First version: validation accuracy ${input.accuracy} reaches ${settings.minAccuracy}`,
    };
  }
  const needed = round(productionAccuracy + settings.promoteMargin);
  if (input.accuracy < needed) {
    return refuse(
      'not_better_than_production',
      `Validation accuracy ${input.accuracy} does not beat production's ${productionAccuracy} ` +
        `on the same validation examples by TRAIN_PROMOTE_MARGIN=${settings.promoteMargin}`,
    );
  }
  return {
    promote: true,
    code: 'promoted',
    reason: `Validation accuracy ${input.accuracy} beats production's ${productionAccuracy} by at least ${settings.promoteMargin}`,
  };
}

function refuse(code: string, reason: string): GateDecision {
  return { promote: false, code, reason };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
