import { z } from 'zod';
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

/** TOOLS: a comma-separated list of built-in tools, or `none`. */
export const toolListSchema = z.string().transform((value, ctx) => {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 1 && names[0] === 'none') return [];
  const unknown = names.filter((name) => !(builtInToolNames as readonly string[]).includes(name));
  if (unknown.length) {
    ctx.addIssue({ code: 'custom', message: `unknown tool ${unknown.join(', ')}; expected a comma-separated list of ${builtInToolNames.join(', ')}, or none` });
    return z.NEVER;
  }
  return [...new Set(names)] as BuiltInToolName[];
});

const rolesByTool = z.partialRecord(z.enum(builtInToolNames), z.array(z.enum(['admin', 'user'])).min(1));

/** TOOL_ROLES: JSON naming tools and the roles that may call each. */
export const toolRolesSchema = z.string().transform((value, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const result = rolesByTool.safeParse(parsed);
  if (!result.success) {
    ctx.addIssue({
      code: 'custom',
      message: `expected JSON naming tools and the roles that may call them, for example {"fetch_url":["admin"]} (tools: ${builtInToolNames.join(', ')}; roles: admin, user)`,
    });
    return z.NEVER;
  }
  return result.data as ToolsConfig['roles'];
});
