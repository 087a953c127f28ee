import type { GatewaySettings, Store } from '../store/store.ts';

export interface GatewayDefaultsOptions {
  /** How long a read is trusted: another process's change shows within it. Default: 5 000 ms. */
  cacheMs?: number;
}

/**
 * The gateway-wide model and tier (`/model global`, `/tier global`), read by every job: remembered for
 * a few seconds so a shared store is not asked once per message; a change made here shows at once.
 */
export class GatewayDefaults {
  readonly #store: Store;
  readonly #cacheMs: number;
  #cached: { settings: Promise<GatewaySettings>; until: number } | undefined;

  constructor(store: Store, { cacheMs = 5_000 }: GatewayDefaultsOptions = {}) {
    this.#store = store;
    this.#cacheMs = cacheMs;
  }

  get(): Promise<GatewaySettings> {
    const now = Date.now();
    if (this.#cached && this.#cached.until > now) return this.#cached.settings;
    const settings = this.#store.getGatewaySettings();
    this.#cached = { settings, until: now + this.#cacheMs };
    // A failed read is not remembered.
    settings.catch(() => (this.#cached = undefined));
    return settings;
  }

  async update(patch: GatewaySettings): Promise<GatewaySettings> {
    this.#cached = undefined;
    await this.#store.updateGatewaySettings(patch);
    return this.get();
  }
}
