export { buildHttpAdapter, type HttpAdapter, type HttpAdapterOptions } from './http-adapter.ts';
export type { HealthCheck } from './routes/health.ts';
