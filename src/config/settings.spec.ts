import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from './settings';

describe('README configuration table', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const rows = new Map(
    [...readme.matchAll(/^\| `([A-Z0-9_]+)` +\| ([^|]*) \|/gm)].map(([, name, value]) => [
      name,
      value.trim(),
    ]),
  );

  it.each(Object.entries(SETTINGS))('documents %s with its default', (name, setting) => {
    expect(rows.has(name)).toBe(true);
    const shown = rows.get(name) ?? '';
    expect(shown).toBe(
      'default' in setting && setting.default !== '' ? `\`${setting.default}\`` : '',
    );
  });

  it('documents no setting that does not exist', () => {
    expect([...rows.keys()].filter((name) => !(name in SETTINGS))).toEqual([]);
  });
});
