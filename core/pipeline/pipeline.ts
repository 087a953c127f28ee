import type { AccessMode } from '../identity/access-policy.ts';
import type { Message } from '../contracts/message.ts';
import { PriceTable } from '../usage/prices.ts';
import { UsageReports } from '../usage/usage-reports.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { BudgetPeriod } from '../usage/usage-config.ts';
import { Accounts } from '../identity/accounts.ts';
import type { KnowledgeBase } from '../knowledge/knowledge-base.ts';
import type { DocumentLibrary } from '../knowledge/document-library.ts';
import { summarizeTurns } from '../memory/summarize-turns.ts';
import { GatewayDefaults } from '../settings/gateway-defaults.ts';
import { ToolApprovals } from '../tools/tool-approvals.ts';
import type { ToolRegistry } from '../tools/tool-registry.ts';
import type { ModelRegistry } from '../models/registry.ts';
import type { TierHeuristic } from '../models/tier-router.ts';
import type { ExternalIdentity, Store } from '../store/store.ts';
import { Pipeline } from './compose.ts';
import type { JobContext } from './context.ts';
import { audit } from './steps/audit.ts';
import { authenticate } from './steps/authenticate.ts';
import { authorize } from './steps/authorize.ts';
import { buildPrompt } from './steps/build-prompt.ts';
import { handleCommand } from './steps/handle-command.ts';
import { infer } from './steps/infer.ts';
import { offerTools } from './steps/offer-tools.ts';
import { rateLimit, type RateLimitServices } from './steps/rate-limit.ts';
import { recallConversation } from './steps/recall-conversation.ts';
import { reply } from './steps/reply.ts';
import { retrieveContext } from './steps/retrieve-context.ts';
import { routeTier } from './steps/route-tier.ts';
import { runTools } from './steps/run-tools.ts';
import { storeInput } from './steps/store-input.ts';
import { storeOutput } from './steps/store-output.ts';

export interface PipelineServices {
  store: Store;
  models: ModelRegistry;
  jwtKey: Uint8Array;
  /** Default: no limits. */
  rateLimits?: RateLimitServices;
  /** Identities that are admins whatever the store says (ADMIN_USERS). Default: none. */
  adminUsers?: readonly ExternalIdentity[];
  /** How new chat users get in (ACCESS_MODE). Default: `pairing`. */
  accessMode?: AccessMode;
  /** Identities, linking, pairing and keys. Default: over `store`, with `adminUsers` and `accessMode`. */
  accounts?: Accounts;
  /** How the router picks a tier when nothing names one. Default: `auto` with the built-in cues. */
  tiers?: TierHeuristic;
  /** Earlier turns a chat prompt carries at most, and whether older ones are summarized (by the instant tier). Default: 16 000 tokens, dropped. */
  memory?: { maxTokens?: number; summary?: boolean };
  /** Said first to the model (SYSTEM_PROMPT). Default: none. */
  systemPrompt?: string;
  /** The documents retrieval searches (RAG). Default: none, so nothing is retrieved. */
  knowledge?: KnowledgeBase;
  /** The knowledge base as admins manage it from a chat (`/docs`). Default: none. */
  documents?: DocumentLibrary;
  /** The backend tools the model may call (TOOLS, TOOL_ROLES). Default: none. */
  tools?: ToolRegistry;
  /** Rounds of tool calls before the model must answer (TOOLS_MAX_ROUNDS). Default: 5. */
  toolRounds?: number;
  /** Configured secrets, masked wherever the pipeline records what a model or user sent. Default: none. */
  secrets?: readonly string[];
  /** Prices every answer (PRICES over the built-in table). Default: the built-in table. */
  prices?: PriceTable;
  /** A user's spending cap per period (USER_BUDGET_USD, USER_BUDGET_PERIOD). Default: none. */
  budgets?: { userUsd: number | undefined; period: BudgetPeriod };
}

/**
 * A job the queue gave up on (it stopped its workers too many times): only who sent it is established,
 * from its identity token, so the refusal is answered, recorded and audited as theirs, and a job no
 * adapter made is answered to no one.
 */
export function createGiveUpPipeline(services: PipelineServices) {
  const { store, jwtKey, adminUsers, accessMode } = services;
  const { accounts = new Accounts(store, { adminUsers, accessMode }) } = services;
  return Pipeline.start<JobContext>().use(authenticate({ store, jwtKey, accounts }));
}

/** The whole life of one message, in order. Each step's file says what it needs and what it adds. */
export function createPipeline(services: PipelineServices) {
  const { store, models, jwtKey, rateLimits, adminUsers, accessMode, tiers, memory = {}, systemPrompt, tools, toolRounds, secrets, knowledge, documents } = services;
  const { accounts = new Accounts(store, { adminUsers, accessMode }), prices = new PriceTable(), budgets } = services;
  const { pairing } = accounts;
  const defaults = new GatewayDefaults(store);
  const approvals = tools ? new ToolApprovals({ store, tools, models, secrets }) : undefined;
  const summarize = memory.summary
    ? (previous: string | undefined, turns: Message[], abortSignal: AbortSignal) =>
        summarizeTurns({ model: models.resolve('instant').model, previous, turns, abortSignal })
    : undefined;
  return Pipeline.start<JobContext>()
    .use(authenticate({ store, jwtKey, accounts }))
    .use(authorize({ pairing, notices: rateLimits?.notices, budgets: budgets && { store, ...budgets } }))
    .use(rateLimit(rateLimits))
    .use(handleCommand({ accounts, store, models, defaults, approvals, documents, usage: new UsageReports(store), audit: new AuditLog(store) }))
    .use(storeInput({ store }))
    .use(recallConversation({ store }))
    .use(routeTier({ models, heuristic: tiers, defaults }))
    .use(retrieveContext({ knowledge }))
    .use(offerTools({ tools }))
    .use(buildPrompt({ store, systemPrompt, memory: { maxTokens: memory.maxTokens, summarize } }))
    .use(infer())
    .use(runTools({ tools, approvals, store, maxRounds: toolRounds, secrets }))
    .use(storeOutput({ store }))
    .use(audit({ store, prices }))
    .use(reply());
}
