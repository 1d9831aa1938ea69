import { performance } from 'node:perf_hooks';

export interface CallScenario {
  /** Calls kept outstanding at once. */
  inFlight: number;
  imagesPerCall: number;
  call: () => Promise<unknown>;
}

/** Warms up with one round of calls, then keeps `inFlight` calls going for `seconds`: images/s. */
export async function imagesPerSecond(
  { inFlight, imagesPerCall, call }: CallScenario,
  seconds: number,
): Promise<number> {
  await Promise.all(Array.from({ length: inFlight }, call));
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let images = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await call();
        images += imagesPerCall;
      }
    }),
  );
  return images / ((performance.now() - started) / 1000);
}
