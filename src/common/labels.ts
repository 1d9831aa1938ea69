import { codePointLength } from './http/text-fields';

/** Longest label in code points: what users label images with, and what classifiers predict. */
export const MAX_LABEL_LENGTH = 200;

/** Spaces, format characters (U+200B, U+FEFF, ...) and controls: nothing anyone can see. */
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}]*$/u;

/**
 * A label as stored: NFC (so "café" typed either way is one label), trimmed. Undefined when
 * nothing visible is left or it is longer than MAX_LABEL_LENGTH.
 */
export function normalizeLabel(label: string): string | undefined {
  const normalized = label.normalize('NFC').trim();
  if (INVISIBLE_ONLY.test(normalized) || codePointLength(normalized) > MAX_LABEL_LENGTH) {
    return undefined;
  }
  return normalized;
}
