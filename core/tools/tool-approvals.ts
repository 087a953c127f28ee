import type { Platform } from '../contracts/job.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { auditAction, requireAdmin, type Actor } from '../identity/actor.ts';
import { formatCode, newCode, normalizeCode } from '../identity/one-time-code.ts';
import { textOf } from '../models/collect-stream.ts';
import type { ModelMessage, ToolCallPart } from '../models/language-model.ts';
import type { ModelRegistry } from '../models/registry.ts';
import type { Store } from '../store/store.ts';
import { runToolCall, toolCallAuditOutcome, toolCallDetail } from './run-tool-call.ts';
import type { ToolRegistry } from './tool-registry.ts';

/** A high-risk call the model made while untrusted content was in its context, waiting for an admin. */
export interface PendingToolCall {
  requesterId: string;
  conversationId: string;
  platform: Platform;
  workspace: string;
  /** The model to continue with, as the job named it. */
  model: string;
  call: ToolCallPart;
  /** The prompt through the assistant's turn that made the call: the answer continues from it. */
  prompt: ModelMessage[];
}

export interface ToolApprovalsOptions {
  store: Store;
  tools: ToolRegistry;
  models: Pick<ModelRegistry, 'resolve'>;
  /** Masked in audit records. Default: none beyond credential-shaped strings. */
  secrets?: readonly string[];
  /** How long a call waits for approval. Default: 1 hour. */
  ttlMs?: number;
}

/**
 * High-risk tool calls made while untrusted content is in the context do not run: they wait here, keyed
 * by a one-time code, until an admin approves (the call runs, and the model answers with its result) or
 * denies them. One call waits per user; a newer one replaces it.
 */
export class ToolApprovals {
  readonly #options: ToolApprovalsOptions;

  constructor(options: ToolApprovalsOptions) {
    this.#options = options;
  }

  /** Parks the call; returns its code as people type it (`ABCD-EFGH`). */
  async request(pending: PendingToolCall): Promise<string> {
    const now = Date.now();
    const code = newCode();
    await this.#options.store.putCode({
      purpose: 'tool-approval',
      code,
      userId: pending.requesterId,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + (this.#options.ttlMs ?? 60 * 60_000)).toISOString(),
      payload: JSON.stringify(pending),
    });
    return formatCode(code);
  }

  /** Runs the call as its requester, and returns the model's answer with the result. */
  async approve(actor: Actor, input: string, { abortSignal }: { abortSignal: AbortSignal }): Promise<{ pending: PendingToolCall; answer: string }> {
    const { store, tools, models, secrets } = this.#options;
    const pending = await this.#take(actor, input, 'tool.approve');
    const requester = await store.getUser(pending.requesterId);
    const report = await runToolCall(pending.call, {
      registry: tools,
      context: { userId: pending.requesterId, role: requester?.role ?? 'blocked', conversationId: pending.conversationId, workspace: pending.workspace, abortSignal },
      untrustedInContext: false,
      requestApproval: () => Promise.reject(new Error('an approved call is not parked again')),
    });
    const detail = { ...toolCallDetail(pending.call, report, secrets ?? []), approvedFor: pending.requesterId };
    await auditAction(store, actor, 'tool.call', detail, toolCallAuditOutcome[report.outcome]);
    const { model } = models.resolve(pending.model);
    const result = await model.doGenerate({
      prompt: [...pending.prompt, { role: 'tool', content: [report.result] }],
      // Offered as the requester sees them (providers want the tools a prompt's calls name), never called.
      tools: requester ? (await tools.offerFor(requester.role, pending.workspace)).definitions : [],
      toolChoice: { type: 'none' },
      abortSignal,
    });
    return { pending, answer: textOf(result.content) };
  }

  async deny(actor: Actor, input: string): Promise<PendingToolCall> {
    return this.#take(actor, input, 'tool.deny');
  }

  async #take(actor: Actor, input: string, action: string): Promise<PendingToolCall> {
    const { store } = this.#options;
    await requireAdmin(store, actor, action);
    const code = await store.takeCode('tool-approval', normalizeCode(input));
    if (!code?.payload) throw new GatewayError('invalid_code', 'That approval code is unknown, used already, or expired.');
    const pending = JSON.parse(code.payload) as PendingToolCall;
    await auditAction(store, actor, action, { tool: pending.call.toolName, requesterId: pending.requesterId, conversationId: pending.conversationId });
    return pending;
  }
}
