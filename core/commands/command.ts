import type { Platform } from '../contracts/job.ts';
import type { Actor } from '../identity/actor.ts';
import type { Linking } from '../identity/linking.ts';
import type { Pairing } from '../identity/pairing.ts';
import type { ModelInfo } from '../models/registry.ts';
import type { Store } from '../store/store.ts';
import type { ToolApprovals } from '../tools/tool-approvals.ts';
import type { UsageReports } from '../usage/usage-reports.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { DocumentLibrary } from '../knowledge/document-library.ts';

export interface CommandServices {
  linking: Linking;
  pairing: Pairing;
  /** Conversation settings and usage. */
  store: Store;
  /** Which models exist; `resolve` throws model_not_found for an unknown name. */
  models: { list(): ModelInfo[]; resolve(name: string): unknown };
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
  /** The message came from a one-to-one chat: codes are shown only there. */
  direct: boolean;
  /** The chat the command was sent in. */
  conversation: { id: string; platform: Platform };
  /** The chat's workspace (whose documents it searches). */
  workspace: string;
  /** Files sent with the command. */
  attachments: { name: string; mediaType?: string; data: Uint8Array }[];
}

export interface Command {
  /** One line: how to call it, and what it does. */
  usage: string;
  /** Only admins may run it at all, so /help shows it only to them. Default: anyone (it checks finer rights itself). */
  admin?: boolean;
  run(services: CommandServices, invocation: CommandInvocation, args: string[]): Promise<string>;
}
