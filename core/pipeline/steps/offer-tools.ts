import type { ToolChoice, ToolDefinition } from '../../models/language-model.ts';
import type { ToolRegistry } from '../../tools/tool-registry.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';
import { workspaceOf } from '../../knowledge/workspaces.ts';

export interface Offered {
  offered: {
    /** The tools the model may call in this job. */
    definitions: ToolDefinition[];
    /** They are the gateway's own, which the worker runs; otherwise the client's, whose calls go back to it. */
    backend: boolean;
    /** A backend tool on offer can bring text from outside (documents, the web) into the context. */
    readsOutside: boolean;
    toolChoice: ToolChoice | undefined;
  };
}

/**
 * Which tools the model may call. A client that sends its own tools gets exactly those, and their calls
 * back, as the OpenAI API promises. Otherwise the model is offered the backend tools the sender's role may
 * call (none with `tool_choice: "none"`), and the worker runs them.
 */
export function offerTools({ tools }: { tools?: ToolRegistry }): Step<JobContext & Authenticated, Offered> {
  return {
    name: 'offer-tools',
    async run(ctx, next) {
      const { request } = ctx.job;
      const choice = request.toolChoice;
      const toolChoice: ToolChoice | undefined =
        choice === undefined ? undefined : typeof choice === 'string' ? { type: choice } : { type: 'tool', toolName: choice.name };
      if (request.tools?.length) {
        const definitions = request.tools.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.parameters }));
        ctx.offered = { definitions, backend: false, readsOutside: false, toolChoice };
      } else {
        const { definitions, readsOutside } = tools && choice !== 'none' ? await tools.offerFor(ctx.user.role, workspaceOf(ctx.job)) : { definitions: [], readsOutside: false };
        ctx.offered = { definitions, backend: definitions.length > 0, readsOutside, toolChoice: definitions.length ? toolChoice : undefined };
      }
      await next();
    },
  };
}
