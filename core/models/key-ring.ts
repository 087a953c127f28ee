import { createHash } from 'node:crypto';

/**
 * A provider's API keys (`OPENAI_API_KEY=key1,key2`) and which may be used now. Requests take the keys
 * in turn; a key the provider answered 429 cools down (for its Retry-After) while the others carry on;
 * a key it answered 401 is out of rotation until the gateway restarts. Keys are known outside this
 * file only by fingerprint.
 */

/** What an operator can match against their key: `printf %s "$KEY" | sha256sum | cut -c1-12`. */
export const fingerprintOf = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 12);

export type KeyState = { state: 'cooling'; untilMs: number } | { state: 'removed'; reason: string; atMs: number };

/**
 * Where keys' states live. In memory by default; queue/key-state-store.ts shares them through Redis, so
 * a key one worker saw refused is set aside by all, and /v1/providers in another process reports it.
 */
export interface KeyStateStore {
  /** The keys of `provider` set aside, by fingerprint (cooling ones may have ended). */
  read(provider: string): Promise<Record<string, KeyState>>;
  write(provider: string, fingerprint: string, state: KeyState): Promise<void>;
}

export class MemoryKeyStateStore implements KeyStateStore {
  readonly #states = new Map<string, Record<string, KeyState>>();

  async read(provider: string) {
    return { ...this.#states.get(provider) };
  }

  async write(provider: string, fingerprint: string, state: KeyState) {
    this.#states.set(provider, { ...this.#states.get(provider), [fingerprint]: state });
  }
}

export interface KeyStatus {
  fingerprint: string;
  state: 'active' | 'cooling' | 'removed';
  /** Cooling: when it is used again. */
  retryInMs?: number;
  /** Removed: why (the provider's status), and when. */
  reason?: string;
  removedAt?: string;
}

/** A Retry-After this long is the provider's business, but a key is not set aside for longer. */
const maxCoolDownMs = 10 * 60_000;
/** A 429 without Retry-After: long enough for a per-minute window to move. */
export const defaultCoolDownMs = 10_000;
/** How long a read of the shared states serves before it is read again; a key's own failures apply at once. */
const readCacheMs = 1000;

export class KeyRing {
  readonly provider: string;
  readonly fingerprints: readonly string[];
  readonly #store: KeyStateStore;
  readonly #now: () => number;
  #next = 0;
  #cached: { states: Record<string, KeyState>; atMs: number } | undefined;

  constructor(provider: string, keys: readonly string[], { store = new MemoryKeyStateStore(), now = Date.now }: { store?: KeyStateStore; now?: () => number } = {}) {
    this.provider = provider;
    this.fingerprints = keys.map(fingerprintOf);
    this.#store = store;
    this.#now = now;
  }

  /**
   * The keys to try for one call, by index into the configured list: the usable ones, starting from the
   * next in turn. Empty when none is usable; `unusable()` then says why.
   */
  async order(): Promise<number[]> {
    const states = await this.#states();
    const now = this.#now();
    // In turn among the usable keys, so a key set aside does not double the next one's share.
    const usableKeys = this.fingerprints.flatMap((fingerprint, index) => (usable(states[fingerprint], now) ? [index] : []));
    const start = this.#next++ % Math.max(1, usableKeys.length);
    return [...usableKeys.slice(start), ...usableKeys.slice(0, start)];
  }

  /** Why no key is usable: every one removed (`auth`), or some cooling, the first back in `retryInMs`. */
  async unusable(): Promise<{ reason: 'auth' } | { reason: 'cooling'; retryInMs: number }> {
    const states = Object.values(await this.#states());
    const cooling = states.flatMap((state) => (state.state === 'cooling' ? [state.untilMs - this.#now()] : []));
    return cooling.length > 0 ? { reason: 'cooling', retryInMs: Math.max(0, Math.min(...cooling)) } : { reason: 'auth' };
  }

  async coolDown(index: number, retryAfterMs = defaultCoolDownMs) {
    await this.#set(index, { state: 'cooling', untilMs: this.#now() + Math.min(Math.max(retryAfterMs, 0), maxCoolDownMs) });
  }

  async remove(index: number, reason: string) {
    await this.#set(index, { state: 'removed', reason, atMs: this.#now() });
  }

  async status(): Promise<KeyStatus[]> {
    const states = await this.#store.read(this.provider).catch(() => ({}) as Record<string, KeyState>);
    const now = this.#now();
    return this.fingerprints.map((fingerprint) => {
      const state = states[fingerprint];
      if (state?.state === 'removed') return { fingerprint, state: 'removed', reason: state.reason, removedAt: new Date(state.atMs).toISOString() };
      if (state?.state === 'cooling' && state.untilMs > now) return { fingerprint, state: 'cooling', retryInMs: state.untilMs - now };
      return { fingerprint, state: 'active' };
    });
  }

  async #states(): Promise<Record<string, KeyState>> {
    const now = this.#now();
    if (!this.#cached || now - this.#cached.atMs >= readCacheMs) {
      // The shared store unreachable: the keys are tried as if all were usable, which a provider refusal corrects.
      this.#cached = { states: await this.#store.read(this.provider).catch(() => this.#cached?.states ?? {}), atMs: now };
    }
    return this.#cached.states;
  }

  async #set(index: number, state: KeyState) {
    const fingerprint = this.fingerprints[index];
    if (fingerprint === undefined) return;
    const states = await this.#states();
    // A removed key stays removed: a late 429 from a call already under way does not bring it back.
    if (states[fingerprint]?.state === 'removed') return;
    states[fingerprint] = state;
    await this.#store.write(this.provider, fingerprint, state).catch(() => {});
  }
}

function usable(state: KeyState | undefined, now: number): boolean {
  return state === undefined || (state.state === 'cooling' && state.untilMs <= now);
}
