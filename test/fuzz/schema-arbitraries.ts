import fc from 'fast-check';

/** The slice of JSON Schema (OpenAPI 3) that the API's document uses. */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
}

export type Components = Record<string, Schema>;

/** Values no field of any API should turn into a 5xx. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '',
    ' ',
    '\ud800',
    '../../etc/passwd',
    '%00',
    '%ZZ',
    '0'.repeat(400),
    'x'.repeat(70_000),
    '2026-13-45T99:99:99Z',
    '-271821-04-20T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    '00000000-0000-0000-0000-000000000000',
    'vir_x_y',
    '{"a":1}',
    '<svg/>',
    '__proto__',
    'constructor',
  ),
  fc.constantFrom(
    0,
    -1,
    -0,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    2 ** 31,
    -(2 ** 63),
    0.5,
    1e-320,
  ),
  fc.constantFrom(true, false, null),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.double(),
  fc.integer(),
);

/** Arrays and objects nested `depth` deep (past the API's limit of 64 at the high end). */
export const deepValue: fc.Arbitrary<unknown> = fc.integer({ min: 1, max: 3_000 }).chain((depth) =>
  fc.boolean().map((asArray) => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = asArray ? [value] : { n: value };
    return value;
  }),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileScalar },
  { weight: 1, arbitrary: deepValue },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), hostileScalar) },
);

/**
 * Values of `schema`: valid ones (as a careful client sends) and, with `mutate`, ones where
 * any field may be hostile, missing or joined by fields the schema does not know.
 */
export function valueOf(
  schema: Schema,
  components: Components,
  mutate: boolean,
  depth = 0,
): fc.Arbitrary<unknown> {
  const valid = validValueOf(schema, components, mutate, depth);
  return mutate
    ? fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: hostileValue })
    : valid;
}

function validValueOf(
  schema: Schema,
  components: Components,
  mutate: boolean,
  depth: number,
): fc.Arbitrary<unknown> {
  const resolved = resolve(schema, components);
  const alternatives = resolved.oneOf ?? resolved.anyOf;
  if (alternatives)
    return fc.oneof(...alternatives.map((s) => valueOf(s, components, mutate, depth)));
  if (resolved.allOf)
    return valueOf(mergeAll(resolved.allOf, components), components, mutate, depth);
  if (resolved.enum) return fc.constantFrom(...resolved.enum);
  if (depth > 4) return fc.constant(null);
  switch (resolved.type) {
    case 'integer':
      return fc.integer({ min: resolved.minimum ?? -1_000, max: resolved.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({
        min: resolved.minimum ?? -1e6,
        max: resolved.maximum ?? 1e6,
        noNaN: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valueOf(resolved.items ?? {}, components, mutate, depth + 1), {
        maxLength: 4,
      });
    case 'object':
      return objectOf(resolved, components, mutate, depth);
    case 'string':
      return stringOf(resolved);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function objectOf(
  schema: Schema,
  components: Components,
  mutate: boolean,
  depth: number,
): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0)
    return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 4,
    });
  const record = fc.record(
    Object.fromEntries(
      properties.map(([name, property]) => [
        name,
        valueOf(property, components, mutate, depth + 1),
      ]),
    ),
    { requiredKeys: mutate ? [] : (schema.required ?? []) },
  );
  if (!mutate) return record;
  const extra = fc.dictionary(fc.string({ maxLength: 12 }), hostileValue, { maxKeys: 2 });
  return fc.tuple(record, fc.option(extra, { freq: 4 })).map(([value, more]) => ({
    ...(value as object),
    ...(more ?? {}),
  }));
}

function stringOf(schema: Schema): fc.Arbitrary<unknown> {
  switch (schema.format) {
    case 'uuid':
      return fc.uuid();
    case 'date-time':
      return fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'binary':
      return fc.string({ maxLength: 20 });
    default:
      return fc.string({
        minLength: schema.minLength ?? 0,
        maxLength: Math.min(schema.maxLength ?? 40, 40),
      });
  }
}

export function resolve(schema: Schema, components: Components): Schema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 10; hops++) {
    current = components[current.$ref.replace('#/components/schemas/', '')] ?? {};
  }
  return current;
}

function mergeAll(schemas: Schema[], components: Components): Schema {
  return schemas.reduce<Schema>((merged, part) => {
    const resolved = resolve(part, components);
    return {
      ...merged,
      ...resolved,
      properties: { ...merged.properties, ...resolved.properties },
      required: [...(merged.required ?? []), ...(resolved.required ?? [])],
    };
  }, {});
}
