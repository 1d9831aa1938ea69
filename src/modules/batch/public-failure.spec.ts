import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../common/app-error';
import { publicFailure } from './public-failure';

describe('publicFailure', () => {
  it("passes our own errors' messages and hides anything else", () => {
    const ours = new AppError(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'not_enough_labels',
      'Needs two labels',
    );
    expect(publicFailure(ours)).toBe('Needs two labels');
    const driver = new Error('Invalid `prisma.$queryRaw()` invocation: Code: `22008`');
    expect(publicFailure(driver)).toBe('Internal error (details in the worker log)');
    expect(publicFailure('a string thrown')).toBe('Internal error (details in the worker log)');
  });
});
