/** Decoding more pixels than this is refused (a decompression bomb, not a photo). */
export const MAX_INPUT_PIXELS = 100_000_000;

/** Whether sharp refused an image for having more than `limitInputPixels`. */
export function exceedsPixelLimit(error: Error): boolean {
  return /pixel limit/i.test(error.message);
}
