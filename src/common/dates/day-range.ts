import { HttpStatus } from '@nestjs/common';
import { AppError } from '../app-error';

/** A UTC calendar day, `YYYY-MM-DD`. */
export type Day = string;

export const DAY_MS = 24 * 3600 * 1000;

/** Midnight UTC of `day`, in ms (NaN for no such day). */
export function dayStart(day: Day): number {
  return Date.parse(`${day}T00:00:00Z`);
}

export function dayOf(at: Date | number): Day {
  return new Date(at).toISOString().slice(0, 10);
}

/** The days from `from` to `to` inclusive; 400 `invalid_range` unless real days in order, at most `maxDays`. */
export function daysBetween(from: Day, to: Day, maxDays: number): Day[] {
  const start = dayStart(from);
  const end = dayStart(to);
  if (Number.isNaN(start) || Number.isNaN(end) || dayOf(start) !== from || dayOf(end) !== to) {
    throw invalidRange('from and to must be real calendar days, YYYY-MM-DD');
  }
  if (start > end) throw invalidRange('from must not be after to');
  const count = (end - start) / DAY_MS + 1;
  if (count > maxDays) throw invalidRange(`At most ${maxDays} days per request`);
  return Array.from({ length: count }, (_, i) => dayOf(start + i * DAY_MS));
}

/** `to` (default: today) and `from` (default: `days` - 1 days before `to`). */
export function defaultRange(
  query: { from?: Day; to?: Day },
  days: number,
  now: Date,
): { from: Day; to: Day } {
  const to = query.to ?? dayOf(now);
  return { from: query.from ?? dayOf(dayStart(to) - (days - 1) * DAY_MS), to };
}

function invalidRange(message: string): AppError {
  return new AppError(HttpStatus.BAD_REQUEST, 'invalid_range', message);
}
