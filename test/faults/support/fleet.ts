import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunningNginx, startNginx } from '../../support/nginx';
import { freePort, startVireo, VireoProcess } from '../../support/vireo-process';

export type Role = 'web' | 'worker' | 'scheduler';

/** SHUTDOWN_TIMEOUT_MS (10 s) and then some: a process still running after it is SIGKILLed. */
const STOP_GRACE_MS = 20_000;

/** SIGTERM, then SIGKILL if the process outlives the grace: no child may keep jest alive. */
async function stopWithin(process: VireoProcess, graceMs: number): Promise<void> {
  const timer = setTimeout(() => process.child.kill('SIGKILL'), graceMs);
  try {
    await process.stop();
  } finally {
    clearTimeout(timer);
  }
}

export interface FleetMember {
  name: string;
  role: Role;
  process: VireoProcess;
}

/**
 * The built binary as deployed: two web replicas behind nginx (docker/nginx.conf), a worker
 * and a scheduler, each its own process. Exits the test did not ask for are recorded.
 */
export class Fleet {
  readonly members = new Map<string, FleetMember>();
  /** Processes that exited without the test killing them, with their last output. */
  readonly unexpectedExits: string[] = [];
  private readonly killed = new Set<VireoProcess>();
  private nginx?: RunningNginx;
  url = '';

  private constructor(
    private readonly env: Record<string, string>,
    private readonly dataDir: string,
  ) {}

  static async start(env: Record<string, string>): Promise<Fleet> {
    const fleet = new Fleet(env, await mkdtemp(join(tmpdir(), 'vireo-faults-data-')));
    try {
      // The first web process migrates the database; the others find it done.
      await fleet.spawn('web1', 'web');
      await Promise.all([
        fleet.spawn('web2', 'web'),
        fleet.spawn('worker', 'worker'),
        fleet.spawn('scheduler', 'scheduler'),
      ]);
      const port = await freePort();
      fleet.nginx = await startNginx(
        [fleet.get('web1'), fleet.get('web2')].map((web) => `127.0.0.1:${web.port}`),
        port,
      );
      fleet.url = `http://127.0.0.1:${port}`;
      return fleet;
    } catch (error) {
      await fleet.stop();
      throw error;
    }
  }

  /** nginx's error log so far (upstreams it gave up on, connections it closed). */
  nginxErrors(): string {
    return this.nginx?.errors() ?? '';
  }

  /** The end of each process's log, to show why a process is not ready. */
  logTails(chars = 1500): string {
    return [...this.members.values()]
      .map(({ name, process }) => `--- ${name}\n${process.output().slice(-chars)}`)
      .join('\n');
  }

  get(name: string): VireoProcess {
    const member = this.members.get(name);
    if (!member) throw new Error(`No process ${name}`);
    return member.process;
  }

  /** SIGKILLs a process on purpose (not counted as an unexpected exit). */
  async kill(name: string): Promise<void> {
    const process = this.get(name);
    this.killed.add(process);
    await process.stop('SIGKILL');
  }

  /** SIGKILLs the worker and starts a new one under the same name; resolves once it listens. */
  async replaceWorker(): Promise<void> {
    await this.kill('worker');
    await this.spawn('worker', 'worker');
  }

  async stop(): Promise<void> {
    await this.nginx?.stop();
    await Promise.all(
      [...this.members.values()].map(({ process }) => {
        this.killed.add(process);
        return stopWithin(process, STOP_GRACE_MS);
      }),
    );
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async spawn(name: string, role: Role): Promise<void> {
    // One DATA_DIR: the first web process converts the model and caches it there for the others.
    const process = await startVireo(
      { ...this.env, DATA_DIR: this.dataDir },
      ['--role', role],
      // Four processes boot at once on a 2-core machine shared with other test runs.
      { readyTimeoutMs: 300_000 },
    );
    void process.child.once('exit', (code, signal) => {
      if (this.killed.has(process)) return;
      this.unexpectedExits.push(
        `${name} exited (${code ?? signal}):\n${process.output().slice(-3000)}`,
      );
    });
    this.members.set(name, { name, role, process });
  }
}
