const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ids come from URLs; one that is not a UUID names no row, and asking PostgreSQL about it
 * would fail the query instead of finding nothing.
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
