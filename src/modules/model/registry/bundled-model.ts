import { DuplicateRecordError, ModelRepository, ModelVersionRecord } from '../../persistence';
import { MODERATION_LABELS, MODERATION_MODEL } from '../runtime';

/** The backbone shipped in the nsfwjs package; embeddings are stored under this name. */
export const BACKBONE_NAME = 'nsfwjs/mobilenet_v2';

/** The artifactKey of the bundled backbone: nothing in object storage. */
export const BUNDLED_ARTIFACT_KEY = `bundled:${BACKBONE_NAME}`;

/** How long a replica waits for another one that is registering the bundled model. */
const REGISTRATION_WAIT_MS = 10_000;
const POLL_MS = 100;

/**
 * Registers the bundled backbone as `moderation` version 1 in production, once: of several
 * replicas booting together, the one that creates the model row registers the version and
 * the others wait for it (finishing the work themselves if that replica died half-way).
 */
export async function registerBundledModel(models: ModelRepository): Promise<void> {
  const { name } = MODERATION_MODEL;
  if (await models.findProduction(name)) return;
  const created = await models
    .createModel({ name, task: 'classification', description: 'nsfwjs MobileNetV2 (bundled)' })
    .then(
      () => true,
      (error: Error) => {
        if (error instanceof DuplicateRecordError) return false;
        throw error;
      },
    );
  if (!created && (await waitForProduction(models, name))) return;
  const versions = await models.listVersions(name);
  const bundled =
    versions.find((v) => v.artifactKey === BUNDLED_ARTIFACT_KEY) ??
    (await models.createVersion(name, {
      artifactKey: BUNDLED_ARTIFACT_KEY,
      labels: [...MODERATION_LABELS],
    }));
  await models.promote(name, bundled.version);
}

async function waitForProduction(
  models: ModelRepository,
  name: string,
): Promise<ModelVersionRecord | null> {
  const deadline = Date.now() + REGISTRATION_WAIT_MS;
  for (;;) {
    const production = await models.findProduction(name);
    if (production || Date.now() > deadline) return production;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
