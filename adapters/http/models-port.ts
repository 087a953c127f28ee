import type { ModelRegistry } from '../../core/models/registry.ts';

/** What the HTTP adapter asks of the model registry: which models exist, and their providers' state. */
export type ModelsPort = Pick<ModelRegistry, 'list' | 'resolve' | 'resolveEmbedding' | 'providers' | 'routing'>;
