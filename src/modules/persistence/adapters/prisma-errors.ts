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
export async function nullIfAbsent<T>(write: () => Promise<T>): Promise<T | null> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') {
      return null;
    }
    throw error;
  }
}

/** Runs a write; resolves with undefined when a record it refers to has just been deleted. */
export async function unlessReferenceGone<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') {
      return undefined;
    }
    throw error;
  }
}

function isUniqueViolation(error: unknown): error is Prisma.PrismaClientKnownRequestError {
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
