import { AppConfig } from './app-config';
import { SettingName } from './settings';

/** The process's config: its environment plus command-line overrides (e.g. `--role`). */
export function loadConfig(overrides: Partial<Record<SettingName, string>> = {}): AppConfig {
  return AppConfig.fromEnv(process.env, overrides);
}
