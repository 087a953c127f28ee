export { configSchema, offlineLlmConfig, parseConfig, roleNames, type Config, type ConfigResult, type LlmConfig, type ProviderConfig, type Role } from './config.ts';
