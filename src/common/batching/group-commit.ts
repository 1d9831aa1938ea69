/** Writes a batch of items; one outcome per item, in the items' order. */
export type BatchWriter<I, O> = (items: I[]) => Promise<PromiseSettledResult<O>[]>;

export interface GroupCommitOptions {
  /** Batches written at once; calls arriving meanwhile wait and join the next batch. */
  maxInFlight: number;
  maxBatch: number;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

/**
 * Group commit: calls that arrive while a batch is being written wait and go out together in
 * the next one, so under load one statement (or one round trip) carries many requests' items;
 * a lone call waits only for the event loop's next turn. Each caller gets its own item's
 * outcome, success or error, and only once the batch holding it has been written.
 */
export class GroupCommit<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly write: BatchWriter<I, O>,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** On the next turn, so that the calls of this one (e.g. requests read together) join. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight) return;
    if (this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
        void this.writeBatch(this.waiting.splice(0, this.options.maxBatch));
      }
    });
  }

  private async writeBatch(batch: Waiting<I, O>[]): Promise<void> {
    this.inFlight += 1;
    try {
      const outcomes = await this.write(batch.map((call) => call.item));
      batch.forEach((call, i) => {
        const outcome = outcomes[i];
        if (outcome.status === 'fulfilled') call.resolve(outcome.value);
        else call.reject(outcome.reason);
      });
    } catch (error) {
      for (const call of batch) call.reject(error);
    } finally {
      this.inFlight -= 1;
      this.schedule();
    }
  }
}
