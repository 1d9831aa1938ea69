import { AppError } from '../app-error';
import { checkJsonValue, MAX_JSON_DEPTH } from './json-input';

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 1; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};

const codeOf = (check: () => void): string | undefined => {
  try {
    check();
    return undefined;
  } catch (error) {
    return (error as AppError).code;
  }
};

describe('checkJsonValue', () => {
  it(`takes values nested up to ${MAX_JSON_DEPTH} levels, and refuses one level more`, () => {
    expect(codeOf(() => checkJsonValue(nested(MAX_JSON_DEPTH + 1)))).toBeUndefined();
    expect(codeOf(() => checkJsonValue([nested(MAX_JSON_DEPTH + 1)]))).toBe('json_too_deep');
  });

  it('refuses a value nested 100 000 deep without overflowing the stack', () => {
    expect(codeOf(() => checkJsonValue(nested(100_000)))).toBe('json_too_deep');
  });

  it('refuses NUL in any string or key, however deep', () => {
    expect(codeOf(() => checkJsonValue({ a: [{ b: 'x\u0000y' }] }))).toBe('invalid_characters');
    expect(codeOf(() => checkJsonValue({ a: { 'k\u0000': 1 } }))).toBe('invalid_characters');
    expect(codeOf(() => checkJsonValue('\u0000'))).toBe('invalid_characters');
  });

  it('takes ordinary JSON: scalars, unicode, an escaped backslash before u0000', () => {
    for (const value of [null, 1, 'text', '\\u0000', { é: ['😀', 2.5, false, null] }]) {
      expect(codeOf(() => checkJsonValue(value))).toBeUndefined();
    }
  });
});
