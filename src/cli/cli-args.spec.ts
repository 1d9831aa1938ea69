import { CliUsageError, parseCliArgs } from './cli-args';

describe('parseCliArgs', () => {
  it('serves by default', () => {
    expect(parseCliArgs([])).toEqual({ command: 'serve', role: undefined });
  });

  it('takes --role and a command', () => {
    expect(parseCliArgs(['--role', 'worker'])).toEqual({ command: 'serve', role: 'worker' });
    expect(parseCliArgs(['migrate'])).toEqual({ command: 'migrate', role: undefined });
  });

  it.each([[['frobnicate']], [['--colour', 'red']], [['serve', 'extra']]])('refuses %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
  });
});
