import type { UserRole } from '../../store/store.ts';

export const builtInToolNames = ['current_time', 'calculator', 'search_knowledge', 'fetch_url'] as const;
export type BuiltInToolName = (typeof builtInToolNames)[number];

/** The tools part of the configuration (TOOLS, TOOL_ROLES, TOOLS_MAX_ROUNDS, FETCH_ALLOWED_HOSTS). */
export interface ToolsConfig {
  /** Which built-in tools are on. */
  enabled: readonly BuiltInToolName[];
  /** Who may call a tool, replacing its default roles. */
  roles: Partial<Record<BuiltInToolName, UserRole[]>>;
  maxRounds: number;
  /** The hosts fetch_url may read; empty turns it off. */
  fetchAllowedHosts: readonly string[];
}
