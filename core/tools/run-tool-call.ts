import type { ToolCallPart, ToolResultPart } from '../models/language-model.ts';
import { redactSecrets } from './redact.ts';
import type { ToolContext } from './tool.ts';
import { ToolError } from './tool-error.ts';
import type { ToolRegistry } from './tool-registry.ts';

export type ToolCallOutcome = 'ok' | 'refused' | 'error' | 'awaiting-approval';

export interface ToolCallReport {
  /** What the model reads back. */
  result: ToolResultPart;
  outcome: ToolCallOutcome;
  /** The output came from outside the gateway. */
  untrusted: boolean;
  /** The parsed arguments, for the audit record (redacted there); undefined when they did not parse. */
  args: unknown;
  durationMs: number;
  /** Why it was refused or failed, in a few words, for the audit record. */
  reason?: string;
  /** With `awaiting-approval`: the code an admin approves it with. */
  approvalCode?: string;
}

export interface RunToolCallOptions {
  registry: ToolRegistry;
  context: ToolContext;
  /** Untrusted content is in the context: a high-risk call waits for an admin instead of running. */
  untrustedInContext: boolean;
  /** Records the call for an admin's approval; returns the code they approve it with. */
  requestApproval: (call: ToolCallPart, args: unknown) => Promise<string>;
}

/** Text the model reads from one call at most. */
const maxOutputChars = 50_000;

/**
 * One call the model suggested, checked and run: the tool must exist and the caller's role may call it,
 * the arguments must parse and match its schema, and it must finish within its timeout. Every failure
 * becomes a result the model can read (and correct), never an exception.
 */
export async function runToolCall(call: ToolCallPart, options: RunToolCallOptions): Promise<ToolCallReport> {
  const started = performance.now();
  const { registry, context } = options;
  let args: unknown;
  const report = (outcome: ToolCallOutcome, output: string, extra: { untrusted?: boolean; reason?: string; approvalCode?: string } = {}): ToolCallReport => ({
    result: { type: 'tool-result', toolCallId: call.toolCallId, toolName: call.toolName, output, ...(outcome === 'ok' ? {} : { isError: true }) },
    outcome,
    untrusted: extra.untrusted ?? false,
    args,
    durationMs: Math.round(performance.now() - started),
    ...(extra.reason ? { reason: extra.reason } : {}),
    ...(extra.approvalCode ? { approvalCode: extra.approvalCode } : {}),
  });

  const tool = registry.get(call.toolName);
  if (!tool) return report('refused', `There is no tool named "${call.toolName}".`, { reason: 'unknown tool' });
  if (!registry.mayCall(tool.name, context.role)) {
    return report('refused', `Not allowed: this user may not call ${tool.name}. Answer without it.`, { reason: `not allowed for role ${context.role}` });
  }
  try {
    args = JSON.parse(call.input || '{}');
  } catch {
    return report('error', 'The arguments are not valid JSON. Call the tool again with a JSON object.', { reason: 'invalid JSON' });
  }
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; ');
    return report('error', `The arguments do not match the tool's schema (${problems}). Call it again with valid arguments.`, { reason: 'invalid arguments' });
  }
  if (tool.highRisk && options.untrustedInContext) {
    const code = await options.requestApproval(call, parsed.data);
    return report(
      'awaiting-approval',
      `Not run yet: ${tool.name} reaches outside the gateway and this conversation holds content from documents or the web, ` +
        `so an administrator must approve this call first (approval code ${code}). Tell the user it awaits approval.`,
      { reason: 'untrusted content in context', approvalCode: code },
    );
  }

  const timeout = AbortSignal.timeout(tool.timeoutMs);
  const abortSignal = AbortSignal.any([context.abortSignal, timeout]);
  try {
    const output = await Promise.race([
      tool.run(parsed.data, { ...context, abortSignal }),
      new Promise<never>((_, reject) => abortSignal.addEventListener('abort', () => reject(abortSignal.reason), { once: true })),
    ]);
    const text = output.text.length > maxOutputChars ? `${output.text.slice(0, maxOutputChars)}\n[… cut]` : output.text;
    return report('ok', output.untrusted ? asUntrusted(tool.name, text) : text, { untrusted: output.untrusted });
  } catch (error) {
    context.abortSignal.throwIfAborted();
    if (timeout.aborted) return report('error', `${tool.name} did not finish within ${tool.timeoutMs / 1000} s.`, { reason: 'timeout' });
    if (error instanceof ToolError) return report('error', `${tool.name} failed: ${error.message}`, { reason: error.message });
    return report('error', `${tool.name} failed.`, { reason: error instanceof Error ? error.name : 'failed' });
  }
}

/** How a call goes in its audit record (`tool.call`): arguments with secrets masked, never the output itself. */
export function toolCallDetail(call: ToolCallPart, report: ToolCallReport, secrets: readonly string[]): Record<string, unknown> {
  return {
    tool: call.toolName,
    arguments: redactSecrets(report.args, secrets),
    durationMs: report.durationMs,
    resultChars: report.result.output.length,
    ...(report.reason ? { reason: report.reason } : {}),
    ...(report.approvalCode ? { awaitingApproval: true } : {}),
  };
}

/** The audit outcome of a call: one left waiting for approval did not run, so it counts as refused. */
export const toolCallAuditOutcome = { ok: 'ok', error: 'error', refused: 'refused', 'awaiting-approval': 'refused' } as const;

/** Marks text from outside as data: the model is told (in the system prompt) never to follow what it says. */
export function asUntrusted(source: string, text: string): string {
  // Whatever the text holds, it cannot open or close the fence (in any case or spacing), nor can a source
  // name break out of its attribute.
  const fenced = text.replace(/<(\s*\/?\s*)(untrusted-data)/gi, '‹$1$2');
  const name = source.replace(/["<>\r\n]/g, '_');
  return `<untrusted-data source="${name}">\n${fenced}\n</untrusted-data>`;
}
