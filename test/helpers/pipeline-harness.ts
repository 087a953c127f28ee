import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import type { InboundJobInput, Platform } from '../../core/contracts/job.ts';
import { parseConfig, type Config } from '../../core/config/config.ts';
import { ModelRegistry } from '../../core/models/registry.ts';
import { RoutingPolicyFile } from '../../core/models/routing-policy-file.ts';
import type { PipelineServices } from '../../core/pipeline/pipeline.ts';
import { createJobRunner, type JobOutcome } from '../../core/pipeline/run-job.ts';
import { SqliteStore } from '../../core/store/embedded/sqlite-store.ts';
import { SqliteKnowledgeStore } from '../../core/store/embedded/sqlite-knowledge-store.ts';
import { KnowledgeBase } from '../../core/knowledge/knowledge-base.ts';
import { DocumentLibrary } from '../../core/knowledge/document-library.ts';
import { OfflineEmbeddingModel } from '../../core/models/providers/offline/offline-embedding-model.ts';
import { builtInTools } from '../../core/tools/built-in/index.ts';
import type { StreamPart } from '../../core/contracts/stream-part.ts';
import { redisCheckpoints } from '../../queue/checkpoints.ts';
import { createRedisClient, type RedisClient } from '../../queue/connection.ts';
import { startFakeOpenAI } from '../fakes/fake-openai.ts';
import type { FakeServer } from '../fakes/fake-server.ts';
import { httpJob, testKey } from './jobs.ts';
import { useTestRedis } from './redis.ts';

export interface SayOptions {
  platform?: Platform;
  user?: string;
  conversationId?: string;
  direct?: boolean;
  /** Files sent with the message. */
  attachments?: { name: string; mediaType?: string; data: string }[];
  /** The chat's workspace. */
  workspace?: string;
  /** The sender's @name on the platform. */
  handle?: string;
  /** Merged into the job's request (model, tools, tool choice…). */
  request?: InboundJobInput['request'];
  /** Ask for the answer's parts, collected in `published`. */
  stream?: boolean;
  published?: StreamPart[];
}

/**
 * The worker's pipeline over a real store and a real Redis, calling a fake OpenAI server through the
 * real provider code: what a chat message meets after its adapter queued it, minus the queue.
 */
export function usePipeline() {
  const redis = useTestRedis();
  let upstream: FakeServer & { baseURL: string };
  let client: RedisClient;
  beforeAll(async () => {
    upstream = await startFakeOpenAI((_request, response) => void response.destroy());
    client = createRedisClient(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await upstream?.close();
  });

  return {
    get upstream() {
      return upstream;
    },
    /** A pipeline configured from `env` (as the platform reads it) and `services` over it. */
    start(env: Record<string, string> = {}, services: (config: Config, store: SqliteStore, knowledge: KnowledgeBase) => Partial<PipelineServices> = () => ({})) {
      const parsed = parseConfig({ OPENAI_API_KEY: 'sk-test-pipeline', OPENAI_BASE_URL: upstream.baseURL, ACCESS_MODE: 'open', ...env });
      if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
      const { config } = parsed;
      const store = new SqliteStore(':memory:');
      const routing = config.routingPolicyFile ? new RoutingPolicyFile(config.routingPolicyFile, config.llm.providers.map((provider) => provider.id)) : undefined;
      const models = new ModelRegistry({ llm: config.llm, ...(routing ? { routing } : {}) });
      // The fake provider serves no embeddings: the knowledge base uses the built-in local ones.
      const knowledge = new KnowledgeBase(new SqliteKnowledgeStore(':memory:'), () => new OfflineEmbeddingModel(), config.knowledge);
      const runJob = createJobRunner({
        store,
        models,
        jwtKey: testKey,
        log: pino({ level: 'silent' }),
        adminUsers: config.adminUsers,
        accessMode: config.accessMode,
        tiers: config.tiers,
        memory: config.memory,
        systemPrompt: config.systemPrompt,
        knowledge,
        documents: new DocumentLibrary({ store, knowledge, fetchAllowedHosts: config.tools.fetchAllowedHosts }),
        tools: builtInTools({ config: config.tools, knowledge }),
        toolRounds: config.tools.maxRounds,
        secrets: config.secrets,
        ...services(config, store, knowledge),
      });
      const conversation = `conv-${randomUUID()}`;
      return {
        store,
        models,
        /** ROUTING_POLICY_FILE's policy, when `env` names one. */
        routing,
        knowledge,
        /** One message through the pipeline; by default from telegram:alice, always in the same conversation. */
        async say(text: string, options: SayOptions = {}): Promise<JobOutcome> {
          const { platform = 'telegram', user = 'alice', conversationId = conversation, direct = true, stream, published, request, attachments, workspace, handle } = options;
          const job = await httpJob({ platform, user, text, direct, conversationId });
          if (handle) job.source.handle = handle;
          if (attachments) job.input.attachments = attachments;
          if (workspace) job.workspace = workspace;
          job.request = { ...job.request, ...request, ...(stream ? { stream: true } : {}) };
          const publish = async (part: StreamPart) => void published?.push(part);
          return runJob(job, { attempt: 1, final: true, checkpoints: redisCheckpoints(client, job.id), publish });
        },
      };
    },
  };
}

/** The answer's text, or the error's code and message. */
export function answerOf(outcome: JobOutcome): string {
  if (outcome.kind !== 'reply') return `dropped ${outcome.error.code}`;
  return outcome.reply.status === 'ok' ? outcome.reply.message.content : `error ${outcome.reply.error.code}: ${outcome.reply.error.message}`;
}
