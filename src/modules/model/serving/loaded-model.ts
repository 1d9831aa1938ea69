import type { ModelVersionRecord } from '../../persistence';
import type { RuntimeHead } from '../runtime';

/**
 * One model version ready to run: the bundled backbone (run by the ModelRuntime, `head`
 * null) or a head in the runtime's inference threads. Calls lease it; a retired model (replaced by a
 * promotion, or evicted) frees its tensors once the last call using it has released it.
 */
export class LoadedModel {
  private users = 0;
  private retired = false;
  private freed = false;

  constructor(
    readonly record: ModelVersionRecord,
    readonly head: RuntimeHead | null,
    readonly loadMs: number,
  ) {}

  acquire(): this {
    this.users++;
    return this;
  }

  release(): void {
    this.users--;
    this.disposeIfUnused();
  }

  retire(): void {
    this.retired = true;
    this.disposeIfUnused();
  }

  private disposeIfUnused(): void {
    if (!this.retired || this.users > 0 || this.freed) return;
    this.freed = true;
    void this.head?.dispose();
  }
}
