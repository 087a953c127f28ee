import type { Platform } from '../contracts/job.ts';
import type { ReplyAction } from '../contracts/reply.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Accounts } from '../identity/accounts.ts';
import type { Actor } from '../identity/actor.ts';
import type { DocumentLibrary } from '../knowledge/document-library.ts';
import type { ModelRegistry } from '../models/registry.ts';
import type { GatewayDefaults } from '../settings/gateway-defaults.ts';
import type { Store } from '../store/store.ts';
import type { ToolApprovals } from '../tools/tool-approvals.ts';
import type { UsageReports } from '../usage/usage-reports.ts';

export interface CommandServices {
  /** Users, roles, limits, linking, pairing and API keys. */
  accounts: Accounts;
  /** Conversation settings, codes and the audit trail. */
  store: Store;
  /** Which models exist (`resolve` throws model_not_found for an unknown name), and the providers' health. */
  models: Pick<ModelRegistry, 'list' | 'resolve' | 'providers' | 'routing'>;
  /** The gateway-wide model and tier (`/model global`, `/tier global`). */
  defaults: GatewayDefaults;
  /** Tool calls waiting for an admin (`/approve`, `/deny`). Default: none, as when no tools are enabled. */
  approvals?: ToolApprovals;
  /** The knowledge base (`/docs`). Default: none. */
  documents?: DocumentLibrary;
  /** Usage and cost (`/usage`). Default: none. */
  usage?: UsageReports;
  /** The audit trail (`/audit`). Default: none. */
  audit?: AuditLog;
}

export interface CommandInvocation {
  actor: Actor;
  /** The message came from a one-to-one chat (or a reply only its sender sees): codes and keys are shown only there. */
  direct: boolean;
  /** The chat the command was sent in. */
  conversation: { id: string; platform: Platform };
  /** The chat's workspace (whose documents it searches). */
  workspace: string;
  /** Files sent with the command. */
  attachments: { name: string; mediaType?: string; data: Uint8Array }[];
  /** The admin confirmed it (`/confirm`): a destructive command runs without asking again. */
  confirmed?: boolean;
}

/** A command's answer: its text, and buttons where the chat has them. */
export interface CommandAnswer {
  text: string;
  actions?: ReplyAction[];
}

export interface Command {
  /** How to call it, and what it does: shown by /help and with every wrong call. */
  usage: string;
  /** Only admins may run it; anyone else is refused, and the attempt audited. Default: anyone (it checks finer rights itself). */
  admin?: boolean;
  /**
   * A destructive command checks its arguments and says what it is about to do, as a question; the
   * admin confirms before `run` is called. Undefined: nothing to confirm (`/docs list`), it runs at once.
   * Default: runs at once.
   */
  confirm?(services: CommandServices, invocation: CommandInvocation, args: string[]): Promise<string | undefined>;
  run(services: CommandServices, invocation: CommandInvocation, args: string[]): Promise<string | CommandAnswer>;
}
