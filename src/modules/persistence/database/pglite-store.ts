import { PGlite } from '@electric-sql/pglite';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';

/** Lock files this process holds: a lock naming our pid but absent here is a crashed run's. */
const heldLocks = new Set<string>();

export interface PgliteStore {
  pglite: PGlite;
  close(): Promise<void>;
}

/**
 * Opens (creating it if needed) the embedded database in `dir`. PGlite serves one process, and
 * two processes writing one directory corrupt it, so a `<dir>.lock` file guards it.
 */
export async function openPgliteStore(dir: string): Promise<PgliteStore> {
  await mkdir(dir, { recursive: true });
  const lockPath = `${dir}.lock`;
  await acquireLock(lockPath, dir);
  try {
    const pglite = await PGlite.create({ dataDir: dir });
    return {
      pglite,
      close: async () => {
        await pglite.close();
        await releaseLock(lockPath);
      },
    };
  } catch (error) {
    await releaseLock(lockPath);
    throw error;
  }
}

async function acquireLock(lockPath: string, dir: string, retried = false): Promise<void> {
  try {
    await writeFile(lockPath, String(process.pid), { flag: 'wx' });
    heldLocks.add(lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || retried) throw error;
    const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (heldLocks.has(lockPath) || (holder !== process.pid && isRunning(holder))) {
      throw new Error(
        `The embedded database in ${dir} is in use by process ${holder}; PGlite serves one ` +
          'process only (stop it, or set DATABASE_URL to share a PostgreSQL database)',
        { cause: error },
      );
    }
    await rm(lockPath, { force: true });
    await acquireLock(lockPath, dir, true);
  }
}

async function releaseLock(lockPath: string): Promise<void> {
  heldLocks.delete(lockPath);
  await rm(lockPath, { force: true });
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
