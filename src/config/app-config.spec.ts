import { AppConfig, ConfigError } from './app-config';

const fromEnv = (env: Record<string, string>, overrides = {}) => AppConfig.fromEnv(env, overrides);

describe('AppConfig', () => {
  it('runs on embedded defaults when nothing is set', () => {
    const config = fromEnv({});
    expect(config.role).toBe('all');
    expect(config.http.port).toBe(3000);
    expect(config.http.maxUploadBytes).toBe(20 * 1024 * 1024);
    expect(config.database).toEqual({ kind: 'pglite', dir: expect.stringMatching(/data\/db$/) });
    expect(config.storage).toEqual({
      kind: 'local',
      root: expect.stringMatching(/data\/objects$/),
    });
    expect(config.redis).toBeUndefined();
    expect(config.http.publicUrl).toBe('http://localhost:3000');
  });

  it('keeps everything forever unless a retention is set; a retention is a positive number of days', () => {
    expect(fromEnv({}).retention).toEqual({});
    expect(
      fromEnv({
        RETENTION_ORIGINALS_DAYS: '30',
        RETENTION_REPORTS_DAYS: '',
        RETENTION_PREDICTIONS_DAYS: '7',
      }).retention,
    ).toEqual({ originalsDays: 30, predictionsDays: 7 });
    expect(() => fromEnv({ RETENTION_DERIVATIVES_DAYS: '0' })).toThrow(
      /^Invalid RETENTION_DERIVATIVES_DAYS="0"/,
    );
    expect(() => fromEnv({ RETENTION_ORIGINALS_DAYS: '1.5' })).toThrow(ConfigError);
  });

  it('switches each port to its production adapter when its variable is set', () => {
    const config = fromEnv({
      DATABASE_URL: 'postgres://u@db:5432/vireo',
      REDIS_URL: 'redis://redis:6379',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY: 'k',
      S3_SECRET_KEY: 's',
    });
    expect(config.database).toMatchObject({ kind: 'postgres', url: 'postgres://u@db:5432/vireo' });
    expect(config.redis).toEqual({ url: 'redis://redis:6379', prefix: 'vireo' });
    expect(config.storage).toMatchObject({
      kind: 's3',
      endpoint: 'http://minio:9000',
      bucket: 'vireo',
    });
  });

  it.each([
    [{ PORT: 'abc' }, /^Invalid PORT="abc"/],
    [{ PORT: '70000' }, /^Invalid PORT="70000"/],
    [{ ROLE: 'boss' }, /^Invalid ROLE="boss"/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid LOG_LEVEL="loud"/],
    [{ DATABASE_URL: 'not a url' }, /^Invalid DATABASE_URL=/],
    [{ MAX_UPLOAD_BYTES: '-1' }, /^Invalid MAX_UPLOAD_BYTES="-1"/],
    [{ ADMIN_API_KEY: 'secret' }, /^Invalid ADMIN_API_KEY=/],
    [{ S3_ENDPOINT: 'http://minio:9000' }, /^Invalid S3_ACCESS_KEY\/S3_SECRET_KEY/],
  ])('refuses %j with a one-line message naming the variable', (env, message) => {
    expect(() => fromEnv(env)).toThrow(ConfigError);
    expect(() => fromEnv(env)).toThrow(message);
    try {
      fromEnv(env);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it.each(['web', 'worker', 'scheduler'])('requires REDIS_URL for role %s', (role) => {
    expect(() => fromEnv({ ROLE: role })).toThrow(/REDIS_URL.*role "\w+" needs Redis/);
    expect(fromEnv({ ROLE: role, REDIS_URL: 'redis://127.0.0.1:6379' }).role).toBe(role);
  });

  it('lets a command-line override win over the environment', () => {
    const config = fromEnv({ ROLE: 'web', REDIS_URL: 'redis://r:6379' }, { ROLE: 'worker' });
    expect(config.role).toBe('worker');
    expect(config.runs('worker')).toBe(true);
    expect(config.runs('web')).toBe(false);
  });

  it('trusts X-Forwarded-For only from the configured proxies', () => {
    expect(fromEnv({}).http.trustProxy).toEqual(['loopback']);
    expect(fromEnv({ TRUST_PROXY: '10.0.0.0/8, 172.16.0.0/12' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '172.16.0.0/12',
    ]);
    expect(fromEnv({ TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
  });

  it('treats an empty variable as unset', () => {
    expect(fromEnv({ DATABASE_URL: '', PORT: '' }).database.kind).toBe('pglite');
  });
});
