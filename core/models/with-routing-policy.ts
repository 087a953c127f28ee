import { routingMetrics } from '../metrics/routing-metrics.ts';
import { estimatePromptTokens } from './estimate-tokens.ts';
import type { CallOptions, LanguageModel, StreamPart } from './language-model.ts';
import type { Tier } from './registry.ts';
import { arrange, type Branch, type Candidate, type LatencyBoard, type RoutingChoice, type TierPolicy } from './routing-policy.ts';
import { withFailover } from './with-failover.ts';

/** A deployment of a policy: what choosing knows of it, and the model (breaker, timeouts, keys) that calls it. */
export interface PolicyArm {
  candidate: Candidate;
  model: LanguageModel;
}

export interface RoutingPolicyOptions {
  tier: Tier;
  /** The policy's name, recorded with each answer. */
  name: string;
  policy: TierPolicy;
  arms: readonly PolicyArm[];
  /** Shared by every model of the policy, so what one call measures the next one ranks by. */
  latency: LatencyBoard;
  /** Whether a deployment's circuit lets calls through now. Default: always. */
  isAvailable?: (arm: PolicyArm) => Promise<boolean>;
  random?: () => number;
}

/**
 * A tier served by a routing policy: per call, its deployments are arranged by the policy (cheapest
 * for this prompt, fastest lately, this caller's A/B arm...), the first is tried and the others follow
 * as failover. Each answer says which deployment served and which branch chose it; each attempt is
 * told to `onRouting` as it starts, and counted by arm.
 */
export function withRoutingPolicy(options: RoutingPolicyOptions): LanguageModel {
  const { tier, name, policy, arms, latency, isAvailable, random } = options;
  const [first] = arms;
  if (!first) throw new Error('withRoutingPolicy needs at least one deployment');
  const armOf = new Map(arms.map((arm) => [arm.candidate.id, arm]));

  async function chain(call: CallOptions): Promise<LanguageModel> {
    // Only `cheapest` and `fastest` rank by circuit state: the others are spared its round trips.
    const ranksByHealth = isAvailable && (policy.strategy === 'cheapest' || policy.strategy === 'fastest');
    const candidates = ranksByHealth
      ? await Promise.all(arms.map(async (arm) => ({ ...arm.candidate, available: await isAvailable(arm).catch(() => true) })))
      : arms.map((arm) => arm.candidate);
    const request = { tier, caller: call.caller, inputTokens: estimatePromptTokens(call.prompt, call.tools), maxOutputTokens: call.maxOutputTokens };
    const { order, branch } = arrange(policy, candidates, request, latency, random);
    return withFailover(order.map((candidate, index) => tagged(armOf.get(candidate.id)!, index === 0 ? branch : 'failover')));
  }

  /** One arm, as tried for this call: announced, timed and counted. */
  function tagged({ candidate, model }: PolicyArm, branch: Branch): LanguageModel {
    const choice: RoutingChoice = { policy: name, deployment: candidate.id, model: `${candidate.provider}/${candidate.model}`, branch };
    const count = (outcome: 'ok' | 'error') => routingMetrics.calls.inc({ tier, deployment: candidate.id, branch, outcome });
    return {
      provider: model.provider,
      modelId: model.modelId,
      async doGenerate(call) {
        call.onRouting?.(choice);
        const result = await model.doGenerate(call).catch((error: unknown) => {
          count('error');
          throw error;
        });
        count('ok');
        return { ...result, response: { ...result.response, routing: choice } };
      },
      async doStream(call) {
        call.onRouting?.(choice);
        const started = performance.now();
        const { stream } = await model.doStream(call).catch((error: unknown) => {
          count('error');
          throw error;
        });
        const seconds = (performance.now() - started) / 1000;
        latency.record(candidate.id, seconds * 1000);
        routingMetrics.firstTokenSeconds.observe({ tier, deployment: candidate.id }, seconds);
        count('ok');
        async function* announced(): AsyncGenerator<StreamPart> {
          yield { type: 'response-metadata', routing: choice };
          yield* stream;
        }
        return { stream: announced() };
      },
    };
  }

  return {
    provider: first.model.provider,
    modelId: first.model.modelId,
    doGenerate: async (call) => (await chain(call)).doGenerate(call),
    doStream: async (call) => (await chain(call)).doStream(call),
  };
}
