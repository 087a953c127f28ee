import { readFileSync, statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { toParam } from '../contracts/zod-messages.ts';
import { routingPolicySchema, type RoutingPolicy } from './routing-policy.ts';

/** The policy in force: what it says, what it is called, and when it was read. */
export interface LoadedPolicy {
  policy: RoutingPolicy;
  name: string;
  loadedAt: string;
}

/** What /v1/providers says of the policy file: which, read when, and why the last change was refused. */
export interface RoutingFileStatus {
  file: string;
  loaded: LoadedPolicy;
  /** The last change's refusal; the policy before it stays in force. */
  error: string | null;
}

/**
 * Reads and checks a policy file (JSON): its shape, and that every provider it names is configured
 * (a deployment of a provider without a key could never answer). The refusal names the file and each
 * problem's place, as `tiers.instant.deployments[1].provider: …`.
 */
export function readRoutingPolicy(file: string, configured: readonly string[]): LoadedPolicy {
  // A configuration problem, never a client's. It is shown in /v1/providers too, to any caller, so it
  // names the file, not where the server keeps it (the log has the path).
  const refuse = (problems: string[]) => new Error(`ROUTING_POLICY_FILE ${basename(file)} was refused: ${problems.join('; ')}.`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : `it is not JSON (${(error as Error).message})`;
    throw refuse([reason]);
  }
  const parsed = routingPolicySchema.safeParse(json);
  if (!parsed.success) {
    throw refuse(parsed.error.issues.map((issue) => {
      const place = toParam(issue.path);
      return place ? `${place}: ${issue.message}` : issue.message;
    }));
  }
  const unconfigured = Object.entries(parsed.data.tiers).flatMap(([tier, policy]) =>
    (policy?.deployments ?? []).flatMap((deployment, index) =>
      configured.includes(deployment.provider)
        ? []
        : [`tiers.${tier}.deployments[${index}].provider: ${deployment.provider} is not configured (set its API key)`],
    ),
  );
  if (unconfigured.length > 0) throw refuse(unconfigured);
  return { policy: parsed.data, name: parsed.data.name ?? basename(file).replace(/\.json$/i, ''), loadedAt: new Date().toISOString() };
}

/**
 * ROUTING_POLICY_FILE, in force: read at start (a bad file stops the start, with its problems), then
 * watched. A change takes effect for the next request; a changed file that is refused leaves the
 * policy before it in force, and the refusal is logged and shown in /v1/providers until a good one comes.
 */
export class RoutingPolicyFile {
  readonly #file: string;
  readonly #configured: readonly string[];
  #loaded: LoadedPolicy;
  #error: string | null = null;
  readonly #listeners = new Set<(loaded: LoadedPolicy) => void>();
  #watcher: NodeJS.Timeout | undefined;
  /** The file as it was when last read, taken before reading: a change after it is read again. */
  #stamp: string;

  constructor(file: string, configured: readonly string[]) {
    this.#file = file;
    this.#configured = configured;
    this.#stamp = stampOf(statSync(file, { throwIfNoEntry: false }));
    this.#loaded = readRoutingPolicy(file, configured);
  }

  get current(): LoadedPolicy {
    return this.#loaded;
  }

  /** Called with each new policy taken into force. */
  onChange(listener: (loaded: LoadedPolicy) => void): void {
    this.#listeners.add(listener);
  }

  /** Reads the file again: true if its policy is now in force; false, and the old one kept, if refused. */
  reload(): boolean {
    this.#stamp = stampOf(statSync(this.#file, { throwIfNoEntry: false }));
    try {
      this.#loaded = readRoutingPolicy(this.#file, this.#configured);
    } catch (error) {
      this.#error = (error as Error).message;
      return false;
    }
    this.#error = null;
    for (const listener of this.#listeners) listener(this.#loaded);
    return true;
  }

  /**
   * Polls the file's modification time and size (an editor that replaces the file is followed, where
   * `fs.watch` loses it), comparing each look with the file as last read. Not `fs.watchFile`: it compares
   * with its own first look, taken a moment after it starts, so a change made in that moment was never
   * seen. `onRefused` hears each refused change.
   */
  watch({ intervalMs = 1000, onReloaded, onRefused }: { intervalMs?: number; onReloaded?: (loaded: LoadedPolicy) => void; onRefused?: (message: string) => void } = {}): void {
    if (this.#watcher) return;
    let looking = false;
    const look = async () => {
      if (looking) return;
      looking = true;
      try {
        if (stampOf(await stat(this.#file).catch(() => undefined)) === this.#stamp || !this.#watcher) return;
        // reload() stats again, just before it reads: this look's stamp is older, and a write landing
        // in between would leave a stale stamp, so the same change would be taken in twice.
        if (this.reload()) onReloaded?.(this.#loaded);
        else onRefused?.(this.#error!);
      } finally {
        looking = false;
      }
    };
    this.#watcher = setInterval(() => void look(), intervalMs).unref();
    void look();
  }

  close(): void {
    clearInterval(this.#watcher);
    this.#watcher = undefined;
  }

  status(): RoutingFileStatus {
    return { file: this.#file, loaded: this.#loaded, error: this.#error };
  }
}

/** What tells one version of the file from another: its modification time and size (none: no file). */
function stampOf(stats: Stats | undefined): string {
  return stats ? `${stats.mtimeMs}:${stats.size}` : 'none';
}
