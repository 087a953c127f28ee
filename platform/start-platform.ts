import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Server } from 'node:http';
import { buildHttpAdapter, buildProbeServer, type HealthCheck } from '../adapters/http/index.ts';
import { startDiscordAdapter } from '../adapters/discord/index.ts';
import { startSlackAdapter } from '../adapters/slack/index.ts';
import type { ChatAdapter, ChatPlatform } from '../adapters/kit/chat-adapter.ts';
import { startTelegramAdapter } from '../adapters/telegram/index.ts';
import type { ChatAdapterParts } from '../adapters/kit/chat-adapter.ts';
import type { Config } from '../core/config/config.ts';
import { loadJwtSecret } from '../core/identity/jwt-secret.ts';
import { Accounts } from '../core/identity/accounts.ts';
import { RoutingPolicyFile } from '../core/models/routing-policy-file.ts';
import { ModelRegistry } from '../core/models/registry.ts';
import { UsageReports } from '../core/usage/usage-reports.ts';
import { ConversationHistory } from '../core/conversations/conversation-history.ts';
import { AuditLog } from '../core/audit/audit-log.ts';
import { openStore } from '../core/store/open-store.ts';
import { GatewayError } from '../core/errors/gateway-error.ts';
import { watchCircuits } from '../core/models/circuit-metrics.ts';
import { PriceTable } from '../core/usage/prices.ts';
import { createJobRunner } from '../core/pipeline/run-job.ts';
import { SqliteKnowledgeStore } from '../core/store/embedded/sqlite-knowledge-store.ts';
import { KnowledgeBase } from '../core/knowledge/knowledge-base.ts';
import { DocumentLibrary } from '../core/knowledge/document-library.ts';
import { knowledgeEmbedder } from '../core/knowledge/knowledge-embedder.ts';
import { builtInTools } from '../core/tools/built-in/index.ts';
import {
  Cancellation,
  createRedisClient,
  InboundQueue,
  RedisCircuitStore,
  RedisKeyStateStore,
  RedisTokenBuckets,
  redisOnceWithin,
  redisDeliveryRecords,
  redisInteractionTokens,
  ReplyWaiter,
  startInboundWorker,
  startOutboundWorker,
  startRedisServer,
  StreamRelay,
  type RedisServer,
} from '../queue/index.ts';

export interface RunningPlatform {
  /** The HTTP adapter's base URL, when this process runs the `http` role. */
  url?: string;
  /** Where /health and /metrics answer: the HTTP adapter, or the probe server of a process without it. */
  probeUrl: string;
  dataDir: string;
  redisUrl: string;
  /** The private redis-server this process started, when REDIS_URL is unset. */
  redisServer?: RedisServer;
  models: ModelRegistry;
  /**
   * Stops taking work and finishes what is in flight, for SHUTDOWN_TIMEOUT_SECONDS at most: requests
   * still waiting then get `shutting_down` (their jobs cancelled), streams a final error event, and
   * jobs still running are left to another worker. Then releases everything, in reverse order of start.
   */
  stop(): Promise<void>;
}

/** Starts every role the config names in this process. On failure, what was started is stopped again. */
export async function startPlatform(config: Config, log: Logger): Promise<RunningPlatform> {
  const dataDir = resolve(config.dataDir);
  // What takes work in (servers, pollers, workers): drained together, against one deadline.
  const drains: ((deadline: AbortSignal) => Promise<void>)[] = [];
  // What the work runs on (connections, the store, Redis): released after, newest first.
  const stack: (() => Promise<void>)[] = [];
  const stop = async () => {
    const deadline = AbortSignal.timeout(config.shutdownTimeoutMs);
    const failed = (error: unknown) => log.error({ err: error }, 'error during shutdown');
    await Promise.all(drains.splice(0).map((drain) => drain(deadline).catch(failed)));
    for (const close of stack.splice(0).reverse()) await close().catch(failed);
  };

  try {
    const jwtKey = loadJwtSecret(dataDir, config.jwtSecret);
    let redisServer: RedisServer | undefined;
    if (!config.redisUrl) {
      redisServer = await startRedisServer({ dir: join(dataDir, 'redis') });
      stack.push(() => redisServer!.stop());
    }
    const redisUrl = config.redisUrl ?? redisServer!.url;
    const redis = createRedisClient(redisUrl);
    redis.on('error', () => {}); // Surfaces in /health and in failed calls; the client reconnects on its own.
    stack.push(async () => redis.disconnect());
    const circuitEvents = createRedisClient(redisUrl);
    circuitEvents.on('error', () => {});
    stack.push(async () => circuitEvents.disconnect());
    const buckets = new RedisTokenBuckets(redis);
    const routing = config.routingPolicyFile ? new RoutingPolicyFile(config.routingPolicyFile, config.llm.providers.map((provider) => provider.id)) : undefined;
    if (routing) {
      routing.watch({
        onReloaded: ({ name }) => log.info({ file: config.routingPolicyFile, policy: name }, 'routing policy changed: it serves the next requests'),
        onRefused: (message) => log.warn({ file: config.routingPolicyFile }, `${message} The policy before it stays in force.`),
      });
      stack.push(async () => routing.close());
    }
    const prices = new PriceTable(config.usage.prices);
    const circuits = new RedisCircuitStore(redis, { subscriber: circuitEvents });
    const models = new ModelRegistry({ llm: config.llm, circuits, buckets, keyStates: new RedisKeyStateStore(redis), routing, prices });
    watchCircuits(models);
    const checks: Record<string, HealthCheck> = {};

    // Every role keeps state in the store: workers their jobs' records, the HTTP adapter keys and accounts.
    const store = await openStore({ dataDir, mongodbUrl: config.mongodbUrl, requestLogTtlDays: config.requestLogTtlDays });
    stack.push(() => store.close());
    checks.store = async () => (await store.ping(), { ok: true });
    const accounts = new Accounts(store, { adminUsers: config.adminUsers, accessMode: config.accessMode });
    const knowledgeStore = new SqliteKnowledgeStore(join(dataDir, 'knowledge.db'));
    stack.push(() => knowledgeStore.close());
    const knowledge = new KnowledgeBase(knowledgeStore, knowledgeEmbedder(models), config.knowledge);
    const secrets = [...config.secrets, new TextDecoder().decode(jwtKey)];
    const documents = new DocumentLibrary({ store, knowledge, fetchAllowedHosts: config.tools.fetchAllowedHosts });

    if (config.roles.includes('worker')) {
      const rateLimits = { buckets, notices: redisOnceWithin(redis), limits: config.rateLimits };
      const runJob = createJobRunner({
        store,
        models,
        jwtKey,
        rateLimits,
        accounts,
        tiers: config.tiers,
        memory: config.memory,
        systemPrompt: config.systemPrompt,
        knowledge,
        documents,
        tools: builtInTools({ config: config.tools, knowledge }),
        toolRounds: config.tools.maxRounds,
        secrets,
        prices,
        budgets: { userUsd: config.usage.userBudgetUsd, period: config.usage.budgetPeriod },
        log: log.child({ role: 'worker' }),
      });
      const worker = await startInboundWorker({ redisUrl, runJob, log, concurrency: config.workerConcurrency, lockDurationMs: config.jobLockMs });
      drains.push((deadline) => worker.close(deadline));
    }

    // The adapters of this process share one queue handle and one relay subscriber, made by the first that asks.
    let shared: { queue: InboundQueue; subscriber: ReturnType<typeof createRedisClient>; relay: StreamRelay } | undefined;
    const adapterParts = () => {
      if (shared) return shared;
      const queue = new InboundQueue(redisUrl);
      stack.push(() => queue.close());
      const subscriber = createRedisClient(redisUrl);
      subscriber.on('error', () => {});
      stack.push(async () => subscriber.disconnect());
      checks.redis = async () => (await queue.ping(), { ok: true });
      checks.worker = async () => {
        const count = await queue.workerCount();
        return count > 0 ? { ok: true, detail: `${count} listening` } : { ok: false, detail: 'no worker is listening' };
      };
      return (shared = { queue, subscriber, relay: new StreamRelay(redis, subscriber) });
    };

    /** A chat adapter with what every one takes, its outbound worker and its health check. */
    const startChat = async <A extends ChatAdapter>(platform: ChatPlatform, start: (parts: ChatAdapterParts) => Promise<A>): Promise<A> => {
      const { queue, relay } = adapterParts();
      const chatLog = log.child({ role: platform });
      const adapter = await start({
        ...config.chat,
        jwtKey,
        enqueue: (job) => queue.enqueue(job),
        records: redisDeliveryRecords(redis),
        tokens: redisInteractionTokens(redis, platform),
        subscribe: (jobId, signal) => relay.subscribe(jobId, { signal }),
        log: chatLog,
      });
      const outbound = await startOutboundWorker({ redisUrl, platform, deliver: (reply) => adapter.deliver(reply), log: chatLog });
      // Deliveries under way finish before the platform client they post with is closed.
      drains.push(async (deadline) => {
        await outbound.close(deadline);
        await adapter.close();
      });
      checks[platform] = adapter.health;
      return adapter;
    };
    const { telegram: telegramConfig, discord: discordConfig, slack: slackConfig } = config;
    const telegram = config.roles.includes('telegram') && telegramConfig ? await startChat('telegram', (parts) => startTelegramAdapter({ ...telegramConfig, ...parts })) : undefined;
    const discord = config.roles.includes('discord') && discordConfig ? await startChat('discord', (parts) => startDiscordAdapter({ ...discordConfig, ...parts })) : undefined;
    const slack = config.roles.includes('slack') && slackConfig ? await startChat('slack', (parts) => startSlackAdapter({ ...slackConfig, ...parts })) : undefined;
    // Webhooks of the chat platforms, served on PORT with the HTTP adapter or a probe server.
    const webhooks = [telegram?.webhook, discord?.webhook, slack?.webhook].filter((plugin) => plugin !== undefined);

    type Listener = { listen(options: { port: number; host: string }): Promise<unknown>; close(): Promise<unknown>; server: Server };
    /** Serves `app` on PORT; `atDeadline` ends what still holds it open when the shutdown deadline comes. */
    const listen = async (app: Listener, atDeadline?: () => void) => {
      await app.listen({ port: config.port, host: config.host });
      drains.push(async (deadline) => {
        const closed = app.close();
        // A client's kept-alive connection outlives its last response and would hold the server open:
        // each is closed once idle, and whatever is left goes a moment after the deadline.
        const idle = setInterval(() => app.server.closeIdleConnections(), 100);
        let last: NodeJS.Timeout | undefined;
        deadline.addEventListener(
          'abort',
          () => {
            atDeadline?.();
            last = setTimeout(() => app.server.closeAllConnections(), 1000);
          },
          { once: true },
        );
        await closed.finally(() => {
          clearInterval(idle);
          clearTimeout(last);
        });
      });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    };
    let url: string | undefined;
    let probeUrl: string;
    if (config.roles.includes('http')) {
      const replies = new ReplyWaiter(redisUrl);
      stack.push(() => replies.close());
      await replies.ready();
      const { queue, subscriber, relay } = adapterParts();
      const cancellation = new Cancellation(redis, subscriber);
      const app = buildHttpAdapter({
        jwtKey,
        externalJwt: config.externalJwt,
        log: log.child({ role: 'http' }),
        models,
        jobs: {
          replyAddress: replies.address,
          enqueue: (job) => queue.enqueue(job),
          // Past REPLY_TIMEOUT_SECONDS nobody waits for the answer any more, so it is not bought.
          awaitReply: (jobId, options) =>
            replies.awaitReply(jobId, options).catch(async (error: unknown) => {
              if ((error as GatewayError).code === 'timeout') await cancellation.cancel(jobId).catch(() => {});
              throw error;
            }),
          subscribe: (jobId, options) => relay.subscribe(jobId, options),
          cancel: (jobId) => cancellation.cancel(jobId),
          cancelUnlessResumed: (jobId, graceMs) => cancellation.cancelUnlessResumed(jobId, graceMs),
          markResumed: (jobId) => cancellation.markResumed(jobId),
        },
        healthChecks: checks,
        corsOrigins: config.http.corsOrigins,
        replyTimeoutMs: config.http.replyTimeoutMs,
        accounts,
        documents,
        usage: new UsageReports(store),
        audit: new AuditLog(store),
        conversations: new ConversationHistory(store),
        websocket: config.websocket,
      });
      for (const webhook of webhooks) app.register(webhook);
      // Requests still waiting at the deadline are answered `shutting_down`, and their jobs cancelled,
      // so none is answered for nobody.
      url = probeUrl = await listen(app, () => {
        const abandoned = replies.abandon(new GatewayError('shutting_down', 'The gateway is restarting and could not finish this answer in time; ask again.'));
        for (const jobId of abandoned) cancellation.cancel(jobId).catch(() => {});
      });
    } else {
      // No HTTP adapter in this process: a bare server for /health and /metrics (what probes and
      // Prometheus read), and for the platforms' webhooks.
      checks.redis ??= async () => (await redis.ping(), { ok: true });
      probeUrl = await listen(buildProbeServer({ log, checks, routes: webhooks }));
    }

    return { url, probeUrl, dataDir, redisUrl, redisServer, models, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
