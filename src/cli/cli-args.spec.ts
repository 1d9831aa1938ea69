import { resolve } from 'node:path';
import { CliUsageError, parseCliArgs } from './cli-args';

describe('parseCliArgs', () => {
  it('serves by default', () => {
    expect(parseCliArgs([])).toEqual({ command: 'serve', role: undefined });
  });

  it('takes --role and a command', () => {
    expect(parseCliArgs(['--role', 'worker'])).toEqual({ command: 'serve', role: 'worker' });
    expect(parseCliArgs(['migrate'])).toEqual({ command: 'migrate', role: undefined });
  });

  it('takes keys create with its owner, scopes and name', () => {
    expect(
      parseCliArgs([
        'keys',
        'create',
        '--owner',
        'ada@example.com',
        '--scopes',
        'images:read, predict',
      ]),
    ).toEqual({
      command: 'keys create',
      role: undefined,
      owner: 'ada@example.com',
      scopes: ['images:read', 'predict'],
      name: 'cli',
    });
  });

  it('takes backup --out and restore --from as absolute directories', () => {
    expect(parseCliArgs(['backup', '--out', '/var/backups/vireo'])).toEqual({
      command: 'backup',
      role: undefined,
      dir: '/var/backups/vireo',
    });
    expect(parseCliArgs(['restore', '--from', 'nightly'])).toEqual({
      command: 'restore',
      role: undefined,
      dir: resolve('nightly'),
    });
  });

  it.each([
    [['frobnicate']],
    [['--colour', 'red']],
    [['serve', 'extra']],
    [['keys', 'create', '--owner', 'x']],
    [['backup']],
    [['restore', '--out', 'x']],
  ])('refuses %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
  });
});
