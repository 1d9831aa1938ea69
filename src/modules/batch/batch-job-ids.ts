/** Queue job ids of a run's steps: adding a step twice runs it once. */
export function batchJobId(runId: string, step: 'run' | 'finish'): string {
  return `${runId}.${step}`;
}

export function batchChunkJobId(runId: string, chunk: number): string {
  return `${runId}.chunk-${chunk}`;
}
