import { Type } from 'class-transformer';
import { IsDate, IsOptional, ValidateNested } from 'class-validator';
import { AppError } from '../app-error';
import { RequestValidationPipe } from './request-validation.pipe';

class Window {
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  from?: Date;
}

class Filter {
  @IsOptional()
  @Type(() => Number)
  limit?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => Window)
  window?: Window;
}

const pipe = new RequestValidationPipe();
const transform = (value: unknown) => pipe.transform(value, { type: 'query', metatype: Filter });

describe('RequestValidationPipe', () => {
  it.each(['-271821-04-20', '275760-09-13', '0000-12-31T23:59:59Z', '+010000-01-01'])(
    'refuses the date %s, out of the years 0001-9999, with 400 invalid_date',
    async (from) => {
      const error = await transform({ window: { from } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'invalid_date' });
    },
  );

  it('takes dates at both ends of the range, beside absent fields', async () => {
    for (const from of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z']) {
      const dto = (await transform({ window: { from } })) as Filter;
      expect(dto.window?.from).toEqual(new Date(from));
    }
  });

  it('leaves values that are no DTO as they are', async () => {
    const body = { when: '-271821-04-20', data: [1, 2] };
    expect(await pipe.transform(body, { type: 'body', metatype: Object })).toBe(body);
  });
});
