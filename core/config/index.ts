export { configSchema, parseConfig, roleNames, type Config, type ConfigResult, type Role } from './config.ts';
