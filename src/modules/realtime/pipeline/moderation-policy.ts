import { Injectable } from '@nestjs/common';
import { AppConfig, ConfigError } from '../../../config';
import { VersionPrediction, MODERATION_LABELS, MODERATION_MODEL } from '../../model';

/**
 * MODERATION_QUARANTINE: an image is quarantined when the `moderation` model scores one of
 * the named labels at or above its threshold. Unknown labels fail the boot.
 */
@Injectable()
export class ModerationPolicy {
  private readonly thresholds: ReadonlyMap<string, number>;

  constructor(config: AppConfig) {
    const known: readonly string[] = MODERATION_LABELS;
    for (const { label } of config.realtime.quarantine) {
      if (!known.includes(label)) {
        throw new ConfigError(
          `Invalid MODERATION_QUARANTINE: "${label}" is no label of the moderation model (${known.join(', ')})`,
        );
      }
    }
    this.thresholds = new Map(config.realtime.quarantine.map((t) => [t.label, t.threshold]));
  }

  quarantines(predictions: VersionPrediction[]): boolean {
    const moderation = predictions.find((prediction) => prediction.model === MODERATION_MODEL.name);
    return !!moderation?.labels.some(({ label, score }) => {
      const threshold = this.thresholds.get(label);
      return threshold !== undefined && score >= threshold;
    });
  }
}
