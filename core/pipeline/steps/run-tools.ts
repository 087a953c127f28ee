import type { Step } from '../compose.ts';
import type { Inferred } from './infer.ts';

/**
 * The tools loop (allowlisted tools run by the worker, results fed back to the model) arrives with the
 * memory-and-tools issue. Until models can ask for tools, there is nothing to run.
 */
export function runTools(): Step<Inferred> {
  return {
    name: 'run-tools',
    async run(_ctx, next) {
      await next();
    },
  };
}
