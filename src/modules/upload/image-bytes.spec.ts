import { AppError } from '../../common/app-error';
import { imageTypeOf, isSupportedImageType, normalizeContentType } from './image-bytes';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

function failure(run: () => unknown): { status: number; code: string } {
  try {
    run();
  } catch (error) {
    return { status: (error as AppError).getStatus(), code: (error as AppError).code };
  }
  throw new Error('expected a failure');
}

describe('imageTypeOf', () => {
  it('trusts the bytes when the declared type is unspecific', () => {
    expect(imageTypeOf(PNG)).toBe('image/png');
    expect(imageTypeOf(PNG, 'application/octet-stream')).toBe('image/png');
    expect(imageTypeOf(PNG, 'IMAGE/PNG; x=y')).toBe('image/png');
  });

  it('answers 400 for no bytes, 415 for no image, 422 for another image type', () => {
    expect(failure(() => imageTypeOf(Buffer.alloc(0)))).toEqual({
      status: 400,
      code: 'empty_file',
    });
    expect(failure(() => imageTypeOf(Buffer.from('hello world')))).toEqual({
      status: 415,
      code: 'unsupported_image',
    });
    expect(failure(() => imageTypeOf(PNG, 'image/jpeg'))).toEqual({
      status: 422,
      code: 'content_type_mismatch',
    });
  });
});

describe('content types', () => {
  it('normalises case and parameters', () => {
    expect(normalizeContentType(' Image/JPEG ; q=1')).toBe('image/jpeg');
  });

  it('knows the supported image types', () => {
    expect(isSupportedImageType('image/avif')).toBe(true);
    expect(isSupportedImageType('image/bmp')).toBe(false);
  });
});
