/** A backup or restore the database refuses; the message says why and what to do instead. */
export class DatabaseBackupError extends Error {
  override readonly name = 'DatabaseBackupError';
}
