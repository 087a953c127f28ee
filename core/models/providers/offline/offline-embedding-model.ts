import { createHash } from 'node:crypto';
import type { EmbeddingModel, EmbedResult } from '../../language-model.ts';
import { estimateTokens } from './offline-model.ts';

const dimensions = 256;

/**
 * A deterministic local embedding: hashed character trigrams, L2-normalized. No model reads the text,
 * but texts sharing words land close together, so retrieval works out of the box and tests can assert
 * which text is nearest.
 */
export class OfflineEmbeddingModel implements EmbeddingModel {
  readonly provider = 'offline';
  readonly modelId = 'offline';

  async doEmbed({ values, abortSignal }: { values: string[]; abortSignal?: AbortSignal }): Promise<EmbedResult> {
    abortSignal?.throwIfAborted();
    return {
      embeddings: values.map(embed),
      usage: { inputTokens: values.reduce((sum, value) => sum + estimateTokens(value), 0) },
    };
  }
}

function embed(text: string): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const normalized = ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
  for (let i = 0; i + 3 <= normalized.length; i += 1) {
    const digest = createHash('sha1').update(normalized.slice(i, i + 3)).digest();
    const slot = digest.readUInt16BE(0) % dimensions;
    vector[slot] = (vector[slot] ?? 0) + (digest[2]! & 1 ? 1 : -1);
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}
