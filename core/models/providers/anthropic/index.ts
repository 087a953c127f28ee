export { AnthropicModel, type AnthropicModelOptions } from './anthropic-model.ts';
