export { GoogleModel, defaultGoogleBaseURL, type GoogleModelOptions } from './google-model.ts';
export { GoogleEmbeddingModel, type GoogleEmbeddingModelOptions } from './google-embedding-model.ts';
