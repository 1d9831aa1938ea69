import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from './app-config';
import { SigningSecret } from './signing-secret';

describe('SigningSecret', () => {
  let dataDir: string;

  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'vireo-secret-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('generates a secret once, keeps it private in DATA_DIR, and reuses it', () => {
    const config = AppConfig.fromEnv({ DATA_DIR: dataDir });
    const first = SigningSecret.resolve(config).value;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dataDir, 'secret'), 'utf8')).toBe(first);
    expect(statSync(join(dataDir, 'secret')).mode & 0o777).toBe(0o600);
    expect(SigningSecret.resolve(config).value).toBe(first);
  });

  it('uses SIGNING_SECRET when set', () => {
    const config = AppConfig.fromEnv({
      DATA_DIR: dataDir,
      SIGNING_SECRET: 'a-long-enough-shared-secret',
    });
    expect(SigningSecret.resolve(config).value).toBe('a-long-enough-shared-secret');
  });
});
