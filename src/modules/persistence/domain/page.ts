/** One page of a listing, newest first; pass `nextCursor` back to get the page after it. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
