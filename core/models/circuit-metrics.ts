import { gauge } from '../metrics/metric.ts';
import type { ModelRegistry } from './registry.ts';

const levels = { closed: 0, 'half-open': 1, open: 2 } as const;
let watched: ModelRegistry | undefined;

gauge({
  name: 'gateway_circuit_state',
  help: "Each configured deployment's circuit, read when scraped: 0 closed (calls flow), 1 half-open (one trial call), 2 open (skipped).",
  labelNames: ['provider', 'model'] as const,
  async collect() {
    this.reset();
    const providers = await watched?.providers().catch(() => undefined);
    for (const provider of providers ?? []) {
      for (const circuit of provider.circuits) this.set({ provider: provider.id, model: circuit.model }, levels[circuit.state]);
    }
  },
});

/** Reports `registry`'s circuit states at /metrics (the process's one registry). */
export function watchCircuits(registry: ModelRegistry) {
  watched = registry;
}
