import { balancedClassWeights } from './class-weights';
import { argmaxRows, classificationMetrics } from './classification-metrics';
import { decidePromotion } from './promotion-gate';
import { shuffled, stratifiedSplit } from './stratified-split';

describe('stratifiedSplit', () => {
  const labels = [
    ...Array.from({ length: 50 }, () => 'a'),
    ...Array.from({ length: 10 }, () => 'b'),
    'c',
    'd',
    'd',
  ];

  it('keeps each label in both parts at the fraction, and every index exactly once', () => {
    const { train, validation } = stratifiedSplit(labels, 0.2);
    const count = (indices: number[], label: string) =>
      indices.filter((i) => labels[i] === label).length;
    expect([count(validation, 'a'), count(train, 'a')]).toEqual([10, 40]);
    expect([count(validation, 'b'), count(train, 'b')]).toEqual([2, 8]);
    // One example only trains; two give one to validation.
    expect([count(validation, 'c'), count(train, 'c')]).toEqual([0, 1]);
    expect([count(validation, 'd'), count(train, 'd')]).toEqual([1, 1]);
    expect([...train, ...validation].sort((x, y) => x - y)).toEqual(labels.map((_, i) => i));
  });

  it('is the same for the same seed and differs for another', () => {
    expect(stratifiedSplit(labels, 0.2)).toEqual(stratifiedSplit(labels, 0.2));
    expect(stratifiedSplit(labels, 0.2, 'other').validation).not.toEqual(
      stratifiedSplit(labels, 0.2).validation,
    );
  });

  it('shuffles a copy into a permutation', () => {
    const items = [1, 2, 3, 4, 5, 6, 7, 8];
    let state = 0;
    const result = shuffled(items, () => (state = (state * 7 + 3) % 11) / 11);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...result].sort()).toEqual(items);
    expect(result).not.toEqual(items);
  });
});

describe('balancedClassWeights', () => {
  it('weighs rare classes up so each class adds the same total', () => {
    const classes = [0, 0, 0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
    const weights = balancedClassWeights(classes, 4);
    expect(weights).toEqual([12 / (4 * 6), 12 / (4 * 2), 12 / (4 * 4), 0]);
    const totals = [6, 2, 4].map((count, c) => count * weights[c]);
    expect(new Set(totals).size).toBe(1);
  });
});

describe('classificationMetrics', () => {
  it('computes the confusion matrix, accuracy, precision, recall and F1', () => {
    // actual:    a a a a b b c c c c
    // predicted: a a a b b a c c c b
    const actual = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
    const predicted = [0, 0, 0, 1, 1, 0, 2, 2, 2, 1];
    const metrics = classificationMetrics(['a', 'b', 'c'], actual, predicted);
    expect(metrics.confusionMatrix).toEqual([
      [3, 1, 0],
      [1, 1, 0],
      [0, 1, 3],
    ]);
    expect(metrics.accuracy).toBe(0.7);
    expect(metrics.perLabel.a).toEqual({ precision: 0.75, recall: 0.75, f1: 0.75, support: 4 });
    // b: predicted 3 times, right once; 2 actual, one found.
    expect(metrics.perLabel.b).toEqual({ precision: 0.3333, recall: 0.5, f1: 0.4, support: 2 });
    expect(metrics.perLabel.c).toEqual({ precision: 1, recall: 0.75, f1: 0.8571, support: 4 });
    expect(metrics.macroF1).toBe(Math.round(((0.75 + 0.4 + 0.8571) / 3) * 10_000) / 10_000);
  });

  it('gives 0 where a label is never predicted or never present', () => {
    const metrics = classificationMetrics(['a', 'b'], [0, 0], [0, 0]);
    expect(metrics.perLabel.b).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(metrics.accuracy).toBe(1);
  });

  it('takes the highest score of each row', () => {
    expect(argmaxRows([0.1, 0.7, 0.2, 0.9, 0.05, 0.05], 3)).toEqual([1, 0]);
  });
});

describe('decidePromotion', () => {
  const settings = { minAccuracy: 0.8, promoteMargin: 0.02, minExamplesPerLabel: 10 };
  const enough = { a: 12, b: 10 };

  it('promotes a first version that reaches the floor', () => {
    const decision = decidePromotion(
      { accuracy: 0.85, productionAccuracy: null, examplesPerLabel: enough },
      settings,
    );
    expect(decision).toMatchObject({ promote: true, code: 'promoted' });
  });

  it('refuses too few examples of a label, naming it', () => {
    const decision = decidePromotion(
      { accuracy: 1, productionAccuracy: null, examplesPerLabel: { a: 12, b: 9 } },
      settings,
    );
    expect(decision).toMatchObject({ promote: false, code: 'too_few_examples' });
    expect(decision.reason).toContain('b (9)');
  });

  it('refuses a version below the floor, first or not', () => {
    for (const productionAccuracy of [null, 0.5]) {
      expect(
        decidePromotion({ accuracy: 0.79, productionAccuracy, examplesPerLabel: enough }, settings),
      ).toMatchObject({ promote: false, code: 'below_min_accuracy' });
    }
  });

  it('promotes over production only by the margin', () => {
    const at = (accuracy: number) =>
      decidePromotion({ accuracy, productionAccuracy: 0.85, examplesPerLabel: enough }, settings);
    expect(at(0.86)).toMatchObject({ promote: false, code: 'not_better_than_production' });
    expect(at(0.87)).toMatchObject({ promote: true, code: 'promoted' });
  });
});
