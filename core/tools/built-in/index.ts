import type { BackendTool } from '../tool.ts';
import { ToolRegistry } from '../tool-registry.ts';
import { calculator } from './calculator-tool.ts';
import { currentTime } from './current-time.ts';
import { fetchUrl, type FetchUrlOptions } from './fetch-url.ts';
import { searchKnowledge, type KnowledgeSearch } from './search-knowledge.ts';
import type { BuiltInToolName, ToolsConfig } from './tools-config.ts';

export { builtInToolNames, type BuiltInToolName, type ToolsConfig } from './tools-config.ts';

export interface BuiltInToolsOptions {
  config: ToolsConfig;
  knowledge: KnowledgeSearch;
  /** For tests, which can only serve on loopback. */
  fetchOptions?: FetchUrlOptions['fetchOptions'];
}

/** The registry of the built-in tools the configuration turns on. */
export function builtInTools({ config, knowledge, fetchOptions }: BuiltInToolsOptions): ToolRegistry {
  const make: Record<BuiltInToolName, () => BackendTool | undefined> = {
    current_time: () => currentTime,
    calculator: () => calculator,
    search_knowledge: () => searchKnowledge(knowledge),
    fetch_url: () => (config.fetchAllowedHosts.length ? fetchUrl({ allowedHosts: config.fetchAllowedHosts, fetchOptions }) : undefined),
  };
  const tools = config.enabled.flatMap((name) => make[name]() ?? []);
  return new ToolRegistry(tools, config.roles);
}
