import { GatewayError } from '../../errors/gateway-error.ts';
import { workspaceOf } from '../../knowledge/workspaces.ts';
import type { ToolCallPart } from '../../models/language-model.ts';
import type { Store } from '../../store/store.ts';
import { runToolCall, toolCallAuditOutcome, toolCallDetail, type ToolCallReport } from '../../tools/run-tool-call.ts';
import type { ToolApprovals } from '../../tools/tool-approvals.ts';
import type { ToolRegistry } from '../../tools/tool-registry.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';
import type { Prompted } from './build-prompt.ts';
import { callOptions, type Inferred } from './infer.ts';
import type { Offered } from './offer-tools.ts';
import type { Retrieved } from './retrieve-context.ts';
import type { Routed } from './route-tier.ts';

export interface RunToolsOptions {
  tools?: ToolRegistry;
  approvals?: ToolApprovals;
  /** Audit records of calls go here. */
  store: Store;
  /** Rounds of tool calls before the model must answer (TOOLS_MAX_ROUNDS). Default: 5. */
  maxRounds?: number;
  /** Masked in audit records. Default: none beyond credential-shaped strings. */
  secrets?: readonly string[];
}

export interface ToolsRan {
  /** Codes of calls left waiting for an admin's approval. */
  approvalCodes: string[];
}

/**
 * The tools loop. While the model asks for backend tools, the worker checks and runs each call (see
 * runToolCall), audits it, feeds the results back and asks again; after `maxRounds` rounds the model must
 * answer without tools. Retrieved text and untrusted results put the job under suspicion: from then on a
 * high-risk call waits for an admin's approval instead of running.
 */
export function runTools({ tools, approvals, store, maxRounds = 5, secrets = [] }: RunToolsOptions): Step<
  JobContext & Authenticated & Retrieved & Routed & Offered & Prompted & Inferred,
  ToolsRan
> {
  return {
    name: 'run-tools',
    async run(ctx, next) {
      ctx.approvalCodes = [];
      if (!tools || !ctx.offered.backend) {
        ctx.result = ctx.rounds.answer(ctx.result);
        return next();
      }
      const { job, user } = ctx;
      let untrusted = ctx.context.length > 0;
      for (let round = 1; ; round += 1) {
        const calls = ctx.result.content.filter((part): part is ToolCallPart => part.type === 'tool-call');
        if (calls.length === 0) break;
        if (round > maxRounds) {
          throw new GatewayError('tool_rounds_exceeded', `The model kept calling tools after ${maxRounds} rounds (TOOLS_MAX_ROUNDS) and gave no answer.`);
        }
        ctx.prompt = [...ctx.prompt, { role: 'assistant', content: ctx.result.content }];
        const suspicious = untrusted;
        const reports = await Promise.all(
          calls.map((call) =>
            ctx.checkpoints.once(`tool:${round}:${call.toolCallId}`, () =>
              runToolCall(call, {
                registry: tools,
                context: { userId: user.id, role: user.role, conversationId: job.conversationId, workspace: workspaceOf(job), abortSignal: ctx.abortSignal },
                untrustedInContext: suspicious,
                requestApproval: async (pendingCall) => {
                  if (!approvals) throw new Error('no approvals service');
                  const prompt = ctx.prompt;
                  return approvals.request({ requesterId: user.id, conversationId: job.conversationId, platform: job.source.platform, workspace: workspaceOf(job), model: job.request.model ?? ctx.route.model ?? ctx.route.tier, call: pendingCall, prompt });
                },
              }),
            ),
          ),
        );
        await Promise.all(reports.map((report, index) => auditCall(store, ctx, round, calls[index]!, report, secrets)));
        untrusted ||= reports.some((report) => report.untrusted);
        for (const report of reports) if (report.approvalCode) ctx.approvalCodes.push(report.approvalCode);
        ctx.prompt = [...ctx.prompt, { role: 'tool', content: reports.map((report) => report.result) }];
        const last = round === maxRounds;
        ctx.result = await ctx.rounds.call(`infer:${round}`, { prompt: ctx.prompt, ...callOptions(ctx), ...(last ? { toolChoice: { type: 'none' } } : {}) });
      }
      ctx.result = ctx.rounds.answer(ctx.result);
      await next();
    },
  };
}

function auditCall(store: Store, ctx: JobContext & Authenticated, round: number, call: ToolCallPart, report: ToolCallReport, secrets: readonly string[]) {
  return store.appendAudit({
    id: `${ctx.job.id}:tool:${round}:${call.toolCallId}`,
    requestId: ctx.job.requestId,
    at: new Date().toISOString(),
    actorId: ctx.user.id,
    action: 'tool.call',
    outcome: toolCallAuditOutcome[report.outcome],
    detail: { jobId: ctx.job.id, ...toolCallDetail(call, report, secrets) },
  });
}
