import { apiKeyFrom, apiKeySecretMatches, generateApiKey, parseApiKey } from './api-key';

describe('API keys', () => {
  it('generates vir_<prefix>_<secret> keys that parse back and verify', () => {
    const key = generateApiKey();
    expect(key.key).toMatch(/^vir_[A-Za-z0-9]{10}_[A-Za-z0-9]{40}$/);
    expect(parseApiKey(key.key)).toEqual({ prefix: key.prefix, secret: key.secret });
    expect(apiKeySecretMatches(key.secret, key.secretHash)).toBe(true);
    expect(apiKeySecretMatches(key.secret.replace(/.$/, '#'), key.secretHash)).toBe(false);
    expect(key.secretHash).not.toContain(key.secret);
  });

  it('never generates the same key twice', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => generateApiKey().key));
    expect(keys.size).toBe(1000);
  });

  it.each([
    '',
    'vir_',
    'vir_abc_def',
    'bearer vir_abcd_0123456789abcdef',
    'vir_abcd_0123456789abcde!',
    'xyz_abcd_0123456789abcdef',
  ])('refuses the malformed key %j', (key) => {
    expect(parseApiKey(key)).toBeNull();
  });

  it('takes an operator-given key as it is', () => {
    const given = apiKeyFrom('vir_admin01_0123456789abcdefABCDEF');
    expect(given).toMatchObject({ prefix: 'admin01', secret: '0123456789abcdefABCDEF' });
  });
});
