// The platform's entry point: `npm start` runs this (on Node 24, after scripts/bootstrap.mjs).
import pino from 'pino';
import { parseConfig } from '../core/config/config.ts';
import { startPlatform, type RunningPlatform } from './start-platform.ts';

const parsed = parseConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(`Invalid configuration; nothing was started:\n${parsed.problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
const { config } = parsed;
const log = pino({ level: config.logLevel, base: { pid: process.pid } });

// One process runs every role: a library's stray rejection (discord.js can reject inside its own
// reconnect loop) is logged, not allowed to take the workers and the other adapters down with it.
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection (logged; the process keeps running)'));

let platform: RunningPlatform;
try {
  platform = await startPlatform(config, log);
} catch (error) {
  process.stderr.write(`Could not start the platform: ${describeStartError(error, config.host, config.port)}\n`);
  process.exit(1);
}

/** Hides a password in a Redis URL before it is printed. */
const redact = (url: string) => url.replace(/\/\/([^@/]*)@/, '//***@');

const lines = [
  'chat-gateway is running.',
  ...(platform.url ? [`  URL:       ${platform.url}  (OpenAI-compatible base URL: ${platform.url}/v1)`] : [`  Health:    ${platform.probeUrl}/health  (and /metrics)`]),
  `  Roles:     ${config.roles.join(', ')}`,
  `  Data:      ${platform.dataDir}`,
  `  Redis:     ${platform.redisServer ? `private redis-server on ${platform.redisUrl} (AOF in ${platform.dataDir}/redis)` : redact(platform.redisUrl)}`,
  `  Provider:  ${describeProviders()}`,
  '  Token:     npm run -s token -- --user alice        (add --role admin for an admin)',
  ...(platform.url
    ? [
        `  Try:       curl -s ${platform.url}/v1/chat/completions -H "Authorization: Bearer $(npm run -s token -- --user alice)" \\`,
        `               -H 'Content-Type: application/json' -d '{"model":"default","messages":[{"role":"user","content":"Hello"}]}'`,
      ]
    : []),
  '  Stop:      Ctrl-C',
];
process.stdout.write(`${lines.join('\n')}\n`);

// A Ctrl-C reaches this process both from the terminal and relayed by bootstrap: a repeat within a
// second is the same request; a later one forces the exit.
let stoppingSince: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < 1000) return;
      process.stderr.write('Stopping immediately.\n');
      process.exit(130);
    }
    stoppingSince = Date.now();
    process.stderr.write(`${signal} received: finishing in-flight work for ${config.shutdownTimeoutMs / 1000} s at most, then stopping (again to force).\n`);
    platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

function describeProviders(): string {
  const { primary, fallbacks, providers } = config.llm;
  if (primary === 'offline') return 'offline (built-in; no API key is configured, so answers say how to configure a provider)';
  const models = providers.find((provider) => provider.id === primary)?.models;
  const tiers = models ? ` (instant ${models.instant}, thinking ${models.thinking})` : '';
  return `${primary}${tiers}${fallbacks.length ? `; fails over to ${fallbacks.join(', ')}` : ''}`;
}

function describeStartError(error: unknown, host: string, port: number): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return `port ${port} on ${host} is already in use; set PORT to a free port.`;
  if (code === 'EACCES') return `not allowed to listen on ${host}:${port}; set PORT above 1023 or HOST to another address.`;
  if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine; set HOST, for example HOST=127.0.0.1.`;
  return error instanceof Error ? error.message : String(error);
}
