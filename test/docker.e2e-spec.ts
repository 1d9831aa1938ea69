import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, get, IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { OnnxGraph } from '../src/modules/model/runtime/onnx/onnx-graph';
import { bootApp, TestApp } from './support/app';
import { renderNginxConfig, RunningNginx, startNginx, testNginxConfig } from './support/nginx';
import { expandGrafanaVariables, exposedSeries, selectorsOf } from './support/prometheus';
import { freePort } from './support/vireo-process';

const run = async (command: string, args: string[]) =>
  (await promisify(execFile)(command, args)).stdout;

const DOCKER = join(__dirname, '../docker');

async function readYaml(path: string): Promise<unknown> {
  return parse(await readFile(join(DOCKER, path), 'utf8'), { merge: true });
}

interface ComposeService {
  environment?: Record<string, string>;
  volumes?: string[];
}

async function composeServices(): Promise<Record<string, ComposeService>> {
  return ((await readYaml('compose.yaml')) as { services: Record<string, ComposeService> })
    .services;
}

/** The file or folder of docker/ that a compose service mounts at `target`. */
function mountedAt(service: ComposeService, target: string): string | undefined {
  const volume = service.volumes?.find((entry) => entry.split(':')[1] === target);
  return volume && join(DOCKER, volume.split(':')[0]);
}

/** An ONNX model of one Identity node, for checking that a runtime loads models. */
function identityModel(): Uint8Array {
  const graph = new OnnxGraph();
  graph.output('y', graph.input('x', [null, 2]));
  return graph.encode('identity');
}

/** There is no Docker engine here: the deployment files are checked by parsing and `nginx -t`. */
describe('docker/', () => {
  it('compose.yaml runs nginx before 2 web replicas, a worker, a scheduler, PostgreSQL, Redis, MinIO, Prometheus and Grafana', async () => {
    const services = await composeServices();
    expect(Object.keys(services).sort()).toEqual(
      [
        'grafana',
        'minio',
        'nginx',
        'postgres',
        'prometheus',
        'redis',
        'scheduler',
        'web1',
        'web2',
        'worker',
      ].sort(),
    );
    const roles = Object.fromEntries(
      Object.entries(services)
        .filter(([, service]) => service.environment?.ROLE)
        .map(([name, service]) => [name, service.environment?.ROLE]),
    );
    expect(roles).toEqual({ web1: 'web', web2: 'web', worker: 'worker', scheduler: 'scheduler' });
    for (const name of ['web1', 'web2', 'worker', 'scheduler']) {
      expect(services[name].environment).toMatchObject({
        DATABASE_URL: expect.stringMatching(/^postgres:\/\/.*@postgres:5432\//),
        REDIS_URL: 'redis://redis:6379',
        S3_ENDPOINT: 'http://minio:9000',
      });
    }
  });

  it('nginx.conf passes nginx -t', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vireo-nginx-t-'));
    try {
      const path = await renderNginxConfig(['127.0.0.1:3001', '127.0.0.1:3002'], 18080, dir);
      const config = await readFile(path, 'utf8');
      expect(config).toMatch(
        /least_conn;\n\s+server 127\.0\.0\.1:3001 .*\n\s+server 127\.0\.0\.1:3002 /,
      );
      expect(await testNginxConfig(path, dir)).toMatch(/syntax is ok[\s\S]*test is successful/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the Dockerfile builds in stages and runs as a non-root user with a healthcheck', async () => {
    const dockerfile = await readFile(join(__dirname, '../docker/Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/live/m);
    // Both npm ci runs see .npmrc (onnxruntime-node's CUDA download skipped).
    expect(dockerfile.match(/^COPY package\.json package-lock\.json \.npmrc \.\/$/gm)).toHaveLength(
      2,
    );
    expect(dockerfile).toMatch(/prune-onnxruntime\.sh node_modules/);
  });

  it("prune-onnxruntime.sh keeps only onnxruntime-node's linux-x64 binaries, which still run", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vireo-prune-'));
    try {
      const modules = join(dir, 'node_modules');
      const installed = dirname(dirname(require.resolve('onnxruntime-node')));
      await run('mkdir', [modules]);
      // Hard links: a copy of ~290 MB made in an instant, pruned without touching the original.
      for (const pkg of ['onnxruntime-node', 'onnxruntime-common']) {
        await run('cp', ['-rl', join(dirname(installed), pkg), modules]);
      }
      await run('sh', [join(__dirname, '../docker/prune-onnxruntime.sh'), modules]);
      const model = join(dir, 'identity.onnx');
      await writeFile(model, identityModel());

      const bin = join(modules, 'onnxruntime-node/bin/napi-v6');
      expect(await readdir(bin)).toEqual(['linux']);
      expect(await readdir(join(bin, 'linux'))).toEqual(['x64']);
      const loaded = await run(process.execPath, [
        '-e',
        `require(${JSON.stringify(join(modules, 'onnxruntime-node'))}).InferenceSession` +
          `.create(${JSON.stringify(model)}).then(() => console.log('loaded'))`,
      ]);
      expect(loaded.trim()).toBe('loaded');
      expect(await readdir(join(installed, 'bin/napi-v6'))).toContain('win32');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** More than every socket buffer between the upstream and a stalled client can hold. */
const LARGE_ANSWER_BYTES = 64 * 1024 * 1024;
const STALL_MS = 3_000;

/** docker/nginx.conf (Debian's nginx) in front of a stub upstream answering a large event stream. */
describe('docker/nginx.conf locations', () => {
  let upstream: Server;
  let nginx: RunningNginx;
  let base: string;
  let answerSent: Promise<unknown>;

  beforeAll(async () => {
    upstream = createServer((_request, response) => {
      answerSent = once(response, 'finish');
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(Buffer.alloc(LARGE_ANSWER_BYTES, 'a'));
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const { port: upstreamPort } = upstream.address() as { port: number };
    const port = await freePort();
    nginx = await startNginx([`127.0.0.1:${upstreamPort}`], port);
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await nginx?.stop();
    upstream?.closeAllConnections();
    upstream?.close();
  });

  /** Whether nginx takes the whole answer off the upstream while the client reads none of it. */
  async function buffersForStalledClient(path: string): Promise<boolean> {
    const response = await new Promise<IncomingMessage>((resolve) =>
      get(`${base}${path}`, resolve),
    );
    response.pause();
    try {
      return await Promise.race([answerSent.then(() => true), sleep(STALL_MS).then(() => false)]);
    } finally {
      response.destroy();
    }
  }

  it('streams server-sent events unbuffered: their location wins over the uploads one', async () => {
    // The neighbouring upload route buffers the same answer, so the stall below is the SSE
    // location's own `proxy_buffering off`.
    expect(await buffersForStalledClient('/v1/images/some-id')).toBe(true);
    expect(await buffersForStalledClient('/v1/images/some-id/events')).toBe(false);
  });
});

/** A Prometheus duration (`1h30m`, `15s`, `500ms`). */
const promDuration = z
  .string()
  .regex(/^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/)
  .refine((value) => value !== '', 'empty duration');
const labelSet = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/), z.string());

/** Prometheus' rule file format (prometheus.io/docs, "Alerting rules" / "Recording rules"). */
const ruleFileSchema = z.strictObject({
  groups: z.array(
    z.strictObject({
      name: z.string().min(1),
      interval: promDuration.optional(),
      limit: z.number().int().optional(),
      query_offset: promDuration.optional(),
      labels: labelSet.optional(),
      rules: z
        .array(
          z.union([
            z.strictObject({
              alert: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/),
              expr: z.string().min(1),
              for: promDuration.optional(),
              keep_firing_for: promDuration.optional(),
              labels: labelSet.optional(),
              annotations: z.record(z.string(), z.string()).optional(),
            }),
            z.strictObject({
              record: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
              expr: z.string().min(1),
              labels: labelSet.optional(),
            }),
          ]),
        )
        .min(1),
    }),
  ),
});

/** The parts of Prometheus' configuration file that docker/ uses, unknown keys refused. */
const prometheusConfigSchema = z.strictObject({
  global: z.strictObject({ scrape_interval: promDuration, evaluation_interval: promDuration }),
  rule_files: z.array(z.string()),
  scrape_configs: z.array(
    z.strictObject({
      job_name: z.string().min(1),
      metrics_path: z.string().startsWith('/').optional(),
      static_configs: z.array(
        z.strictObject({ targets: z.array(z.string()), labels: labelSet.optional() }),
      ),
    }),
  ),
});

const grafanaDatasourcesSchema = z.object({
  apiVersion: z.literal(1),
  datasources: z.array(
    z.object({ name: z.string(), uid: z.string(), type: z.literal('prometheus'), url: z.url() }),
  ),
});
const grafanaProvidersSchema = z.object({
  apiVersion: z.literal(1),
  providers: z.array(
    z.object({
      name: z.string(),
      type: z.literal('file'),
      options: z.object({ path: z.string() }),
    }),
  ),
});

interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

/** Series that Prometheus adds to every scrape itself. */
const SCRAPE_SERIES = new Set(['up']);
/** Labels that Prometheus' scrape config attaches (job, target address, compose service). */
const TARGET_LABELS = new Set(['job', 'instance', 'service']);

/**
 * docker/grafana: Prometheus' scrape config and alert rules, Grafana's provisioning and
 * dashboard. No Prometheus or `promtool` runs here (no Docker, no Debian package of it), so the
 * files are checked against the formats' documented structure and every query is parsed with
 * Prometheus' own PromQL grammar (`@prometheus-io/lezer-promql`).
 */
describe('docker/grafana', () => {
  let app: TestApp;
  let alertRules: z.infer<typeof ruleFileSchema>;
  let dashboard: { uid: string; panels: DashboardPanel[] };

  beforeAll(async () => {
    alertRules = ruleFileSchema.parse(await readYaml('grafana/prometheus/alerts.yml'));
    dashboard = JSON.parse(await readFile(join(DOCKER, 'grafana/dashboards/vireo.json'), 'utf8'));
    app = await bootApp();
  });

  afterAll(() => app?.close());

  const panelQueries = () =>
    dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        where: `panel "${panel.title}"`,
        expr: expandGrafanaVariables(target.expr),
      })),
    );
  const ruleQueries = () =>
    alertRules.groups.flatMap((group) =>
      group.rules.map((rule) => ({
        where: `rule ${'alert' in rule ? rule.alert : rule.record}`,
        expr: rule.expr,
      })),
    );

  it('Prometheus scrapes every Vireo process of compose.yaml and loads the mounted alert rules', async () => {
    const config = prometheusConfigSchema.parse(
      await readYaml('grafana/prometheus/prometheus.yml'),
    );
    const services = await composeServices();
    const vireoTargets = Object.entries(services)
      .filter(([, service]) => service.environment?.ROLE)
      .map(([name, service]) => `${name}:${service.environment?.PORT ?? 3000}`);
    const [vireo] = config.scrape_configs;
    expect(vireo.job_name).toBe('vireo');
    expect(vireo.static_configs.flatMap((group) => group.targets).sort()).toEqual(
      vireoTargets.sort(),
    );
    for (const ruleFile of config.rule_files) {
      const source = mountedAt(services.prometheus, ruleFile);
      expect(source).toBeDefined();
      expect(ruleFileSchema.parse(parse(await readFile(source!, 'utf8')))).toEqual(alertRules);
    }
    expect(mountedAt(services.prometheus, '/etc/prometheus/prometheus.yml')).toBe(
      join(DOCKER, 'grafana/prometheus/prometheus.yml'),
    );
  });

  it('alert rules cover queue age, failed jobs, p95 latency and readiness, each with a severity and summary', () => {
    const rules = alertRules.groups.flatMap((group) => group.rules);
    const alerts = rules.filter((rule) => 'alert' in rule);
    expect(alerts.length).toBe(rules.length);
    for (const alert of alerts) {
      expect(alert.labels?.severity).toMatch(/^(warning|critical)$/);
      expect(alert.annotations?.summary).toBeTruthy();
    }
    const metricsOf = (name: string) =>
      selectorsOf(alerts.find((alert) => alert.alert === name)!.expr).map(({ metric }) => metric);
    expect(metricsOf('VireoQueueBacklog')).toEqual(['vireo_queue_age_seconds']);
    expect(metricsOf('VireoJobsFailing')).toContain('vireo_queue_jobs');
    expect(metricsOf('VireoPipelineLatencyHigh')).toEqual(['vireo_pipeline_stage_seconds_bucket']);
    expect(metricsOf('VireoNotReady')).toEqual(['vireo_ready']);
  });

  it('Grafana gets the Prometheus datasource and the dashboard folder compose mounts; every panel uses that datasource', async () => {
    const services = await composeServices();
    const provisioning = mountedAt(services.grafana, '/etc/grafana/provisioning')!;
    const { datasources } = grafanaDatasourcesSchema.parse(
      parse(await readFile(join(provisioning, 'datasources/prometheus.yaml'), 'utf8')),
    );
    expect(datasources).toEqual([
      expect.objectContaining({ uid: 'vireo-prometheus', url: 'http://prometheus:9090' }),
    ]);
    const { providers } = grafanaProvidersSchema.parse(
      parse(await readFile(join(provisioning, 'dashboards/vireo.yaml'), 'utf8')),
    );
    const dashboards = mountedAt(services.grafana, providers[0].options.path);
    expect(await readdir(dashboards!)).toEqual(['vireo.json']);

    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) {
      expect(panel.datasource?.uid).toBe('vireo-prometheus');
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource?.uid).toBe('vireo-prometheus');
      }
    }
    expect(panels.map((panel) => panel.title)).toEqual(
      expect.arrayContaining([
        'Uploads per second',
        'End-to-end latency',
        'Queue depth',
        'Queue age',
        'Failed jobs',
        'Inference images per second',
        'Batch size',
        'Event-loop lag p99',
        'Webhook deliveries',
        'Readiness',
      ]),
    );
  });

  it("every metric and label the dashboard and alert rules query is exported by a running app's /metrics", async () => {
    // A request first, so request-labelled series have samples whose labels can be checked.
    await app.http().get('/health/live').expect(200);
    const scrape = await app.http().get('/metrics').expect(200);
    const exported = exposedSeries(scrape.text);
    const queries = [...panelQueries(), ...ruleQueries()];
    expect(queries.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const { where, expr } of queries) {
      for (const { metric, labels } of selectorsOf(expr)) {
        if (SCRAPE_SERIES.has(metric)) continue;
        const seen = exported.get(metric);
        if (!seen) {
          missing.push(`${where}: ${metric}`);
          continue;
        }
        // Labels can only be checked on series that have samples in this scrape.
        const unknown = labels.filter((label) => !TARGET_LABELS.has(label) && !seen.has(label));
        if (seen.size > 0 && unknown.length > 0) {
          missing.push(`${where}: ${metric}{${unknown.join(',')}}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
