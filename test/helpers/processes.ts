import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a process with this pid exists. */
export function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `condition` holds or the time is up; returns whether it held. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (await condition()) return true;
    await sleep(50);
  }
  return condition();
}

/** The direct children of a process (Linux): the platform itself under `npm start`'s bootstrap. */
export function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}
