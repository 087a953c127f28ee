import type { GenerateResult, ToolDefinition } from '../../models/language-model.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import { ModelRounds } from '../model-rounds.ts';
import type { Authenticated } from './authenticate.ts';
import type { Prompted } from './build-prompt.ts';
import type { Offered } from './offer-tools.ts';
import type { Retrieved } from './retrieve-context.ts';
import type { Routed } from './route-tier.ts';
import type { ToolsRan } from './run-tools.ts';
import { citedSourcesLine } from '../../knowledge/cite-sources.ts';

export interface Inferred {
  result: GenerateResult;
  /** The model calls of this job, which the tools loop continues. */
  rounds: ModelRounds;
}

/** Tells the chat how an admin lets a waiting tool call run. */
function approvalNote(codes: readonly string[]): string {
  if (codes.length === 0) return '';
  const how = codes.map((code) => `/approve ${code} (or /deny ${code})`).join(', ');
  return `⏳ A tool call is waiting for an administrator's approval, because this conversation holds content from documents or the web. An admin can answer: ${how}.`;
}

/** The request's own options for every model call of the job: sampling, and the tools on offer. */
export function callOptions(ctx: JobContext & Offered, tools: ToolDefinition[] = ctx.offered.definitions) {
  const { request } = ctx.job;
  return {
    temperature: request.temperature,
    maxOutputTokens: request.maxOutputTokens,
    stopSequences: request.stopSequences,
    tools: tools.length ? tools : undefined,
    toolChoice: ctx.offered.toolChoice,
  };
}

/**
 * The paid call. Streamed from the provider even when the client waits for the whole answer, so a
 * provider that hangs before its first byte is caught by the first-byte timeout and failed over.
 */
export function infer(): Step<JobContext & Authenticated & Prompted & Routed & Offered & Retrieved & Partial<ToolsRan>, Inferred> {
  return {
    name: 'infer',
    async run(ctx, next) {
      const epilogue = (text: string) => [citedSourcesLine(ctx.context, text), approvalNote(ctx.approvalCodes ?? [])].filter(Boolean).join('\n\n');
      ctx.rounds = new ModelRounds(ctx, { model: ctx.model, route: ctx.route, backendTools: ctx.offered.backend, epilogue, caller: ctx.user.id });
      ctx.result = await ctx.rounds.call('infer', { prompt: ctx.prompt, ...callOptions(ctx) });
      await next();
    },
  };
}
