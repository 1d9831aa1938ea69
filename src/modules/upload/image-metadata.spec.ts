import { checkLabel, checkMetadata, parseMetadataField } from './image-metadata';

describe('image metadata', () => {
  it('takes a JSON object of at most 4 KiB', () => {
    expect(parseMetadataField('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(checkMetadata({ ok: true })).toEqual({ ok: true });
  });

  it.each([['[1]'], ['"text"'], ['null'], ['not json'], [JSON.stringify({ x: 'y'.repeat(4096) })]])(
    'refuses %s',
    (text) => {
      expect(() => parseMetadataField(text)).toThrow(
        expect.objectContaining({ code: 'invalid_metadata' }),
      );
    },
  );

  it('trims labels and refuses empty or long ones', () => {
    expect(checkLabel('  cat ')).toBe('cat');
    expect(() => checkLabel('  ')).toThrow(expect.objectContaining({ code: 'invalid_label' }));
    expect(() => checkLabel('x'.repeat(201))).toThrow(
      expect.objectContaining({ code: 'invalid_label' }),
    );
  });
});
