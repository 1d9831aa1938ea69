import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IIngress, INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, ISecret, IService } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { parseCliArgs } from '../src/cli/cli-args';
import { SETTINGS } from '../src/config/settings';
import { QUEUE_NAMES } from '../src/modules/queue/queues';
import { bootApp } from './support/app';
import { deleteRedisKeys, testRedis } from './support/redis';

/**
 * No cluster runs here: the kustomizations are rendered with `kubectl kustomize` and every
 * object is validated against the Kubernetes and KEDA API schemas (kubernetes-models), then
 * checked against what the binary really offers (settings, commands, routes, queues).
 */
const K8S = join(__dirname, '../docker/k8s');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

interface Kinds {
  ConfigMap: IConfigMap;
  Secret: ISecret;
  Service: IService;
  Deployment: IDeployment;
  PodDisruptionBudget: IPodDisruptionBudget;
  HorizontalPodAutoscaler: IHorizontalPodAutoscaler;
  Ingress: IIngress;
  NetworkPolicy: INetworkPolicy;
  ScaledObject: IScaledObject;
}

async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', join(K8S, dir)]);
  return parseAllDocuments(stdout).map((doc) => unwrapSecretData(doc.toJS() as K8sObject));
}

/**
 * kustomize wraps long base64 values over several lines; the API server's decoder skips the
 * line breaks, the schema's `byte` format does not.
 */
function unwrapSecretData(object: K8sObject): K8sObject {
  const { data } = object as ISecret;
  if (object.kind !== 'Secret' || !data) return object;
  const unwrapped = Object.entries(data).map(([key, value]) => [key, value.replace(/\s/g, '')]);
  return { ...object, data: Object.fromEntries(unwrapped) } as K8sObject;
}

/** The kubernetes-models class for an object's apiVersion and kind. */
function modelOf({ apiVersion, kind }: K8sObject): { validate(): void } & (new (data: object) => {
  validate(): void;
}) {
  const path = apiVersion.startsWith('keda.sh/')
    ? `@kubernetes-models/keda/${apiVersion}`
    : `kubernetes-models/${apiVersion}`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const model = (require(path) as Record<string, unknown>)[kind];
  if (typeof model !== 'function') throw new Error(`No schema for ${apiVersion} ${kind}`);
  return model as never;
}

function byKind<K extends keyof Kinds>(objects: K8sObject[], kind: K): Kinds[K][] {
  return objects.filter((o) => o.kind === kind) as unknown as Kinds[K][];
}

function find<K extends keyof Kinds>(objects: K8sObject[], kind: K, name: string): Kinds[K] {
  const found = byKind(objects, kind).find((o) => o.metadata?.name === name);
  if (!found) throw new Error(`${kind}/${name} is missing`);
  return found;
}

function podOf(deployment: IDeployment) {
  return deployment.spec!.template.spec!;
}

const ROLE_OF = { 'vireo-web': 'web', 'vireo-worker': 'worker', 'vireo-scheduler': 'scheduler' };

describe('docker/k8s', () => {
  let example: K8sObject[];
  let base: K8sObject[];
  let config: Record<string, string>;

  beforeAll(async () => {
    [example, base] = await Promise.all([render('overlays/example'), render('base')]);
    config = find(example, 'ConfigMap', 'vireo-config').data!;
  });

  it('renders objects that the Kubernetes and KEDA schemas accept', () => {
    for (const object of [...example, ...base]) {
      const Model = modelOf(object);
      expect(() => new Model(object).validate()).not.toThrow();
    }
    expect(example.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining([
        'ConfigMap/vireo-config',
        'Deployment/vireo-scheduler',
        'Deployment/vireo-web',
        'Deployment/vireo-worker',
        'Ingress/vireo',
        'Ingress/vireo-events',
        'PodDisruptionBudget/vireo-web',
        'ScaledObject/vireo-worker',
        'Service/vireo-web',
        'TriggerAuthentication/vireo-redis',
      ]),
    );
  });

  it('sets only real settings, from the ConfigMap and the Secret the pods read', () => {
    const settings = new Set(Object.keys(SETTINGS));
    const secret = byKind(example, 'Secret').find((s) =>
      s.metadata!.name!.startsWith('vireo-secrets'),
    )!;
    for (const name of [...Object.keys(config), ...Object.keys(secret.data!)]) {
      expect(settings).toContain(name);
    }
    for (const deployment of byKind(example, 'Deployment')) {
      const pod = podOf(deployment);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        for (const env of container.env ?? []) expect(settings).toContain(env.name);
        const sources = container.envFrom!.map((e) => e.configMapRef?.name ?? e.secretRef?.name);
        expect(sources).toEqual(['vireo-config', secret.metadata!.name]);
      }
    }
  });

  it('runs each Deployment as its role with commands the binary knows', () => {
    for (const [name, role] of Object.entries(ROLE_OF)) {
      const [container] = podOf(find(example, 'Deployment', name)).containers;
      expect(parseCliArgs(container.args!)).toEqual({ command: 'serve', role });
    }
    const web = podOf(find(example, 'Deployment', 'vireo-web'));
    const initCommands = web.initContainers!.map((c) => parseCliArgs(c.args!).command);
    expect(initCommands).toEqual(['migrate']);
  });

  it('probes paths and a port that every role serves', async () => {
    const redis = testRedis();
    for (const [name, role] of Object.entries(ROLE_OF)) {
      const [container] = podOf(find(example, 'Deployment', name)).containers;
      expect(container.ports).toEqual([{ name: 'http', containerPort: Number(config.PORT) }]);
      const probes = [container.livenessProbe!.httpGet!, container.readinessProbe!.httpGet!];
      expect(probes.map((p) => p.port)).toEqual(['http', 'http']);
      const app = await bootApp({ ROLE: role, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix });
      try {
        const answers = await Promise.all(probes.map((p) => app.http().get(p.path!)));
        expect(answers.map((a) => a.status !== 404)).toEqual([true, true]);
        expect(answers[0].status).toBe(200);
      } finally {
        await app.close();
      }
    }
    await deleteRedisKeys(redis);
  });

  it('gives every pod time to drain: preStop pause + SHUTDOWN_TIMEOUT_MS within the grace period', () => {
    for (const deployment of byKind(example, 'Deployment')) {
      const pod = podOf(deployment);
      const [, pauseS] = pod.containers[0].lifecycle!.preStop!.exec!.command!;
      const drainS = Number(pauseS) + Number(config.SHUTDOWN_TIMEOUT_MS) / 1000;
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(drainS);
    }
  });

  it('keeps 2 ready web pods through a rollout and 1 through a drain; exactly one scheduler', () => {
    const web = find(example, 'Deployment', 'vireo-web').spec!;
    expect(web.replicas).toBe(2);
    expect(web.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    const [container] = web.template.spec!.containers;
    expect(container.readinessProbe!.httpGet!.path).toBe('/health/ready');
    const pdb = find(example, 'PodDisruptionBudget', 'vireo-web').spec!;
    expect(pdb.minAvailable).toBe(1);
    expect(pdb.selector!.matchLabels).toEqual(web.selector.matchLabels);
    const scheduler = find(example, 'Deployment', 'vireo-scheduler').spec!;
    expect([scheduler.replicas, scheduler.strategy!.type]).toEqual([1, 'Recreate']);
    expect(find(example, 'Service', 'vireo-web').spec!.selector).toEqual(web.selector.matchLabels);
  });

  it('scales workers on the BullMQ wait list with KEDA, or on CPU without it', () => {
    const { scaleTargetRef, triggers } = find(example, 'ScaledObject', 'vireo-worker').spec!;
    expect(scaleTargetRef.name).toBe('vireo-worker');
    const lists = triggers.filter((t) => t.type === 'redis').map((t) => t.metadata.listName);
    expect(lists.length).toBeGreaterThan(0);
    for (const list of lists) {
      const [prefix, queue, suffix] = list.split(':');
      expect([prefix, QUEUE_NAMES.includes(queue as never), suffix]).toEqual([
        config.REDIS_PREFIX,
        true,
        'wait',
      ]);
    }
    expect(triggers.map((t) => t.type)).toContain('cpu');
    expect(byKind(example, 'HorizontalPodAutoscaler')).toEqual([]);
    const hpa = find(base, 'HorizontalPodAutoscaler', 'vireo-worker').spec!;
    expect(hpa.scaleTargetRef.name).toBe('vireo-worker');
    expect(hpa.metrics![0].resource!.name).toBe('cpu');
  });

  it('routes the ingress like docker/nginx.conf: big streamed uploads, unbuffered events', async () => {
    const main = find(example, 'Ingress', 'vireo').metadata!.annotations!;
    const bodyLimit = /^(\d+)m$/.exec(main['nginx.ingress.kubernetes.io/proxy-body-size'])!;
    expect(Number(bodyLimit[1]) * 1024 * 1024).toBeGreaterThan(
      Number(SETTINGS.MAX_UPLOAD_BYTES.default),
    );
    expect(main['nginx.ingress.kubernetes.io/proxy-request-buffering']).toBe('off');
    const events = find(example, 'Ingress', 'vireo-events');
    expect(events.metadata!.annotations!['nginx.ingress.kubernetes.io/proxy-buffering']).toBe(
      'off',
    );
    const [path] = events.spec!.rules![0].http!.paths;
    const nginx = await readFile(join(__dirname, '../docker/nginx.conf'), 'utf8');
    expect(nginx).toContain(`location ~ ^${path.path}$ {`);
  });

  it('lets the ingress controller reach web pods only', () => {
    const policies = byKind(example, 'NetworkPolicy').map((p) => p.spec!);
    const denyAll = policies.find((p) => !p.ingress);
    expect(denyAll?.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'vireo' });
    const fromIngressController = policies.filter((p) =>
      (p.ingress ?? []).some((rule) =>
        (rule.from ?? []).some(
          (peer) =>
            peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ===
            'ingress-nginx',
        ),
      ),
    );
    const selected = fromIngressController.map(
      (p) => p.podSelector.matchLabels?.['app.kubernetes.io/component'],
    );
    expect(selected).toEqual(['web']);
  });
});
