import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** One series selector of a PromQL expression: the metric and the labels it matches on. */
export interface Selector {
  metric: string;
  labels: string[];
}

/**
 * Grafana's interval variables, replaced as Grafana does before the query reaches Prometheus
 * (PromQL itself has no variables).
 */
export function expandGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s');
}

/** Parses `expr` with Prometheus' own grammar; throws on a syntax error. */
export function selectorsOf(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const selectors: Selector[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) {
      throw new Error(`PromQL syntax error at ${cursor.from} in: ${expr}`);
    }
    if (cursor.name === 'VectorSelector') selectors.push(selectorOf(cursor.node, expr));
  } while (cursor.next());
  return selectors;
}

function selectorOf(node: SyntaxNode, expr: string): Selector {
  const text = (child: SyntaxNode | null) => (child ? expr.slice(child.from, child.to) : '');
  const matchers = node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [];
  let metric = text(node.getChild('Identifier'));
  const labels: string[] = [];
  for (const matcher of matchers) {
    const label = text(matcher.getChild('LabelName'));
    if (label === '__name__') metric = JSON.parse(text(matcher.getChild('StringLiteral')));
    else labels.push(label);
  }
  return { metric, labels };
}

/**
 * The series names a text exposition declares (`# TYPE` lines, so labelled metrics that have
 * no sample yet count too), each with the label names seen on its samples.
 */
export function exposedSeries(exposition: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (declared) {
      const [, name, type] = declared;
      for (const suffix of SAMPLE_SUFFIXES[type] ?? ['']) series.set(name + suffix, new Set());
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? \S+/.exec(line);
    if (!sample) continue;
    const labels = series.get(sample[1]) ?? new Set<string>();
    for (const [, label] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) {
      labels.add(label);
    }
    series.set(sample[1], labels);
  }
  return series;
}

/** The sample names of each metric type (Prometheus text format 0.0.4). */
const SAMPLE_SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};
