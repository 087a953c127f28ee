import { z } from 'zod';
import type { ToolDefinition } from '../models/language-model.ts';
import type { UserRole } from '../store/store.ts';
import type { BackendTool } from './tool.ts';

/**
 * The backend tools this gateway runs, and who may call each. A role override (TOOL_ROLES) replaces a
 * tool's own list. The JSON Schemas the model reads are made once, from the tools' zod schemas.
 */
export class ToolRegistry {
  readonly #tools = new Map<string, BackendTool>();
  readonly #definitions = new Map<string, ToolDefinition>();
  readonly #roles = new Map<string, readonly UserRole[]>();

  constructor(tools: readonly BackendTool[] = [], roleOverrides: Record<string, readonly UserRole[]> = {}) {
    for (const tool of tools) {
      this.#tools.set(tool.name, tool);
      this.#roles.set(tool.name, roleOverrides[tool.name] ?? tool.roles);
      const { $schema: _, ...inputSchema } = z.toJSONSchema(tool.input, { io: 'input' }) as Record<string, unknown>;
      this.#definitions.set(tool.name, { name: tool.name, description: tool.description, inputSchema });
    }
  }

  get(name: string): BackendTool | undefined {
    return this.#tools.get(name);
  }

  names(): string[] {
    return [...this.#tools.keys()];
  }

  mayCall(name: string, role: UserRole): boolean {
    return this.#roles.get(name)?.includes(role) ?? false;
  }

  /** The tools offered in one job: those the role may call and that can help there. */
  async offerFor(role: UserRole, workspace: string): Promise<{ definitions: ToolDefinition[]; readsOutside: boolean }> {
    const offered: BackendTool[] = [];
    for (const name of this.names()) {
      const tool = this.#tools.get(name)!;
      if (this.mayCall(name, role) && (!tool.available || (await tool.available({ workspace })))) offered.push(tool);
    }
    return { definitions: offered.map((tool) => this.#definitions.get(tool.name)!), readsOutside: offered.some((tool) => tool.readsOutside) };
  }
}
