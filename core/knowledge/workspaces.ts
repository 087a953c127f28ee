import type { InboundJob } from '../contracts/job.ts';

/** The workspace a job belongs to: its chat's (a Slack team, a Discord server), else the shared `default`. */
export const workspaceOf = (job: Pick<InboundJob, 'workspace'>): string => job.workspace ?? 'default';

/** What a job in `workspace` may search: its own documents and the shared ones. */
export const searchedWorkspaces = (workspace: string): string[] => [...new Set([workspace, 'default'])];
