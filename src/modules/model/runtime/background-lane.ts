interface Queued<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: Error) => void;
}

export interface BackgroundLaneOptions<I, O> {
  /** Runs one input (as a batch of one). */
  run: (input: I) => Promise<O>;
  /**
   * Whether foreground work is running or waiting: then nothing more is started here. Called
   * before each start; call `pump()` whenever the foreground may have become free.
   */
  busy: () => boolean;
}

/**
 * Low-priority work for the inference threads (batch jobs): an input starts only while the
 * foreground (real-time predictions) has nothing running beyond spare threads and nothing
 * waiting, and one image at a time, so a real-time call that arrives meanwhile waits for at
 * most one image's inference rather than a batch's. (ONNX runs one image as fast per image
 * as a batch of 16 here: DEVELOPERS.md, ONNX Runtime.) No library orders work across two
 * callers sharing our own thread pool like this; a priority queue alone would not hold batch
 * work back while real-time calls are in flight.
 */
export class BackgroundLane<I, O> {
  private readonly queued: Queued<I, O>[] = [];
  private closed = false;

  constructor(private readonly options: BackgroundLaneOptions<I, O>) {}

  get pending(): number {
    return this.queued.length;
  }

  submit(input: I): Promise<O> {
    if (this.closed) return Promise.reject(new Error('The background lane is closed'));
    return new Promise<O>((resolve, reject) => {
      this.queued.push({ input, resolve, reject });
      this.pump();
    });
  }

  /** Starts what may start now. */
  pump(): void {
    while (this.queued.length > 0 && !this.options.busy()) {
      const { input, resolve, reject } = this.queued.shift()!;
      this.options
        .run(input)
        .then(resolve, reject)
        .finally(() => this.pump());
    }
  }

  /** Refuses new inputs and fails those not started. */
  close(): void {
    this.closed = true;
    for (const { reject } of this.queued.splice(0))
      reject(new Error('The background lane is closed'));
  }
}
