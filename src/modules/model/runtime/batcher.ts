export interface BatcherOptions {
  /** A batch is sent as soon as it holds this many inputs. */
  maxBatchSize: number;
  /** ...or this long after its first input arrived, whichever comes first. */
  maxDelayMs: number;
  /**
   * Whether whoever runs batches is idle: then an input is sent at once, since waiting for
   * others would only delay it; batches form while it is busy. Default: never idle.
   */
  idle?: () => boolean;
}

/**
 * Runs one batch and returns, in input order, each input's result or its own Error.
 * A rejection fails every input of the batch.
 */
export type RunBatch<I, O> = (inputs: I[]) => Promise<(O | Error)[]>;

interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: Error) => void;
}

/**
 * Micro-batching: inputs submitted close together are run as one batch, and each caller
 * gets its own result back (or its own error: one bad input fails only its caller).
 */
export class Batcher<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly runBatch: RunBatch<I, O>,
    private readonly options: BatcherOptions,
  ) {
    if (!(options.maxBatchSize >= 1) || !(options.maxDelayMs >= 0)) {
      throw new RangeError('maxBatchSize must be at least 1 and maxDelayMs at least 0');
    }
  }

  /** Inputs waiting for their batch to be sent. */
  get pending(): number {
    return this.waiting.length;
  }

  submit(input: I): Promise<O> {
    if (this.closed) return Promise.reject(new Error('The batcher is closed'));
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (this.waiting.length >= this.options.maxBatchSize || this.options.idle?.()) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxDelayMs);
    });
  }

  /** Sends what is waiting now and refuses further inputs. */
  close(): void {
    this.closed = true;
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length > 0) void this.dispatch(batch);
  }

  private async dispatch(batch: Waiting<I, O>[]): Promise<void> {
    let results: (O | Error)[];
    try {
      results = await this.runBatch(batch.map((entry) => entry.input));
      if (results.length !== batch.length) {
        throw new Error(`A batch of ${batch.length} returned ${results.length} results`);
      }
    } catch (error) {
      for (const entry of batch) entry.reject(error as Error);
      return;
    }
    batch.forEach((entry, i) => {
      const result = results[i];
      if (result instanceof Error) entry.reject(result);
      else entry.resolve(result);
    });
  }
}
