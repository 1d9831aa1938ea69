import { AppConfig, ConfigError } from '../../../config';
import { VersionPrediction } from '../../model/model-server';
import { ModerationPolicy } from './moderation-policy';

const policy = (setting: string) =>
  new ModerationPolicy(AppConfig.fromEnv({ MODERATION_QUARANTINE: setting }));

const moderation = (scores: Record<string, number>, model = 'moderation'): VersionPrediction[] => [
  {
    model,
    version: 1,
    versionId: 'v',
    latencyMs: 1,
    labels: Object.entries(scores).map(([label, score]) => ({ label, score })),
  },
];

describe('ModerationPolicy (MODERATION_QUARANTINE)', () => {
  it('quarantines when a named label scores at or above its threshold', () => {
    const p = policy('Porn:0.8, Hentai:0.8,Sexy:0.95');
    expect(p.quarantines(moderation({ Porn: 0.8, Neutral: 0.2 }))).toBe(true);
    expect(p.quarantines(moderation({ Sexy: 0.94, Neutral: 0.06 }))).toBe(false);
    expect(p.quarantines(moderation({ Neutral: 0.99 }))).toBe(false);
    // Only the moderation model's scores count.
    expect(p.quarantines(moderation({ Porn: 0.99 }, 'shapes'))).toBe(false);
  });

  it('is off when empty', () => {
    expect(policy('').quarantines(moderation({ Porn: 1 }))).toBe(false);
  });

  it('refuses labels the moderation model does not have, and malformed pairs, at boot', () => {
    expect(() => policy('Nudity:0.5')).toThrow(ConfigError);
    expect(() => AppConfig.fromEnv({ MODERATION_QUARANTINE: 'Porn:1.5' })).toThrow(ConfigError);
    expect(() => AppConfig.fromEnv({ MODERATION_QUARANTINE: 'Porn' })).toThrow(ConfigError);
  });
});
