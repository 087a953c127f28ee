import { GatewayError } from '../errors/gateway-error.ts';
import { providerMetrics } from '../metrics/provider-metrics.ts';
import type { KeyRing } from './key-ring.ts';
import type { LanguageModel } from './language-model.ts';
import { ProviderCallError } from './provider-error.ts';

/**
 * One deployment (provider + model) called with each of its provider's keys in turn: `models[i]` uses
 * the ring's key `i`. A key answered 429 cools down and the call moves on to the next key at once; a key
 * answered 401 is taken out of rotation, and the call moves on too. Anything else is the call's answer.
 * A stream moves on only before its first event, as doStream rejects only then.
 */
export function withKeyRotation(models: readonly LanguageModel[], ring: KeyRing): LanguageModel {
  const [first] = models;
  if (!first || models.length !== ring.fingerprints.length) throw new Error('withKeyRotation needs one model per key');

  async function rotate<T>(call: (model: LanguageModel) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const index of await ring.order()) {
      try {
        return await call(models[index]!);
      } catch (error) {
        const fingerprint = ring.fingerprints[index]!;
        if (error instanceof GatewayError && error.code === 'provider_rate_limited') {
          await ring.coolDown(index, error.retryAfterMs);
          providerMetrics.keyEvents.inc({ provider: ring.provider, key: fingerprint, event: 'cooled-down' });
        } else if (error instanceof ProviderCallError && error.statusCode === 401) {
          await ring.remove(index, 'the provider answered 401 (the key is invalid or revoked)');
          providerMetrics.keyEvents.inc({ provider: ring.provider, key: fingerprint, event: 'removed' });
        } else {
          throw error;
        }
        last = error;
      }
    }
    if (last) throw last;
    throw await noUsableKey();
  }

  async function noUsableKey(): Promise<GatewayError> {
    const why = await ring.unusable();
    const label = `${first!.provider}/${first!.modelId}`;
    if (why.reason === 'auth') return new GatewayError('provider_auth_failed', `${label}: every configured key was refused by the provider (401); see /v1/providers.`);
    return new GatewayError('provider_rate_limited', `${label}: every configured key is rate limited; the first is usable again in ${Math.ceil(why.retryInMs / 1000)} s.`, {
      retryAfterMs: why.retryInMs,
    });
  }

  return {
    provider: first.provider,
    modelId: first.modelId,
    doGenerate: (options) => rotate((model) => model.doGenerate(options)),
    doStream: (options) => rotate((model) => model.doStream(options)),
  };
}
