/** A backup or restore refused: the message says what is wrong and what to do. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}
