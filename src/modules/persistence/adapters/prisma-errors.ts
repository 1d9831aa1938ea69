import { Prisma } from '../../../generated/prisma/client';
import { DuplicateRecordError } from '../domain/errors';

/** Runs a write, turning a unique-constraint violation into the domain's `DuplicateRecordError`. */
export async function unlessDuplicate<T>(entity: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateRecordError(entity, violatedFields(error));
    throw error;
  }
}

/** Runs a single-record update or delete; resolves with null when the record is absent. */
export function nullIfAbsent<T>(write: () => Promise<T>): Promise<T | null> {
  return orOnPrismaCode('P2025', write, null);
}

/** Runs a write; resolves with undefined when a record it refers to has just been deleted. */
export function unlessReferenceGone<T>(write: () => Promise<T>): Promise<T | undefined> {
  return orOnPrismaCode('P2003', write, undefined);
}

/** `write`'s result, or `fallback` when it fails with the Prisma error `code`. */
async function orOnPrismaCode<T, F>(code: string, write: () => Promise<T>, fallback: F) {
  try {
    return await write();
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === code) {
      return fallback;
    }
    throw error;
  }
}

export function isUniqueViolation(error: unknown): error is Prisma.PrismaClientKnownRequestError {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** Where the fields are depends on the driver adapter; look in both known places. */
function violatedFields(error: Prisma.PrismaClientKnownRequestError): string[] {
  const meta = error.meta as
    | {
        target?: unknown;
        driverAdapterError?: { cause?: { constraint?: { fields?: unknown } } };
      }
    | undefined;
  const fields = meta?.driverAdapterError?.cause?.constraint?.fields ?? meta?.target;
  return Array.isArray(fields) ? fields.map(String) : [];
}
