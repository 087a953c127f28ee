import type { z } from 'zod';
import type { UserRole } from '../store/store.ts';

/** What a tool's code knows of the call: who asked, in which conversation, and when to give up. */
export interface ToolContext {
  userId: string;
  role: UserRole;
  conversationId: string;
  /** The workspace whose knowledge base the job searches. */
  workspace: string;
  abortSignal: AbortSignal;
}

export interface ToolOutput {
  /** What the model reads. */
  text: string;
  /**
   * The text came from outside (a web page, a document): it is marked as data in the prompt, and while it
   * is there, high-risk tools need an admin's approval.
   */
  untrusted?: boolean;
}

/**
 * A tool the worker runs on the model's behalf. The model only suggests a call; the worker checks the
 * arguments against `input`, the caller's role against `roles`, and runs it within `timeoutMs`.
 */
export interface BackendTool<Input = any> {
  /** As the model calls it: letters, digits, `_`. */
  name: string;
  /** What the model reads to decide when to call it. */
  description: string;
  input: z.ZodType<Input>;
  /** Roles that may call it. */
  roles: readonly UserRole[];
  timeoutMs: number;
  /**
   * It reaches outside the gateway (the network), so injected instructions could use it to leak what the
   * context holds: while untrusted content is in the context, a call waits for an admin's approval.
   */
  highRisk?: boolean;
  /** It can return text from outside the gateway (documents, web pages), marked untrusted. */
  readsOutside?: boolean;
  /** Whether it can help in this job (a knowledge search, only where there are documents). Default: always. */
  available?(context: Pick<ToolContext, 'workspace'>): Promise<boolean>;
  run(input: Input, context: ToolContext): Promise<ToolOutput>;
}
