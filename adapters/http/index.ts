export { buildHttpAdapter, type HttpAdapter, type HttpAdapterOptions } from './http-adapter.ts';
export type { HealthCheck } from './routes/health.ts';
export { buildProbeServer, type ProbeServerOptions } from './probe-server.ts';
