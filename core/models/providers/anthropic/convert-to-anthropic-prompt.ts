import type {
  ContentBlockParam,
  MessageParam,
  Tool,
  ToolChoice as AnthropicToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import type { ModelMessage, ToolChoice, ToolDefinition } from '../../language-model.ts';

export interface AnthropicPrompt {
  /** Every system message, joined; absent when there is none (Anthropic takes it top-level, not as a turn). */
  system?: string;
  messages: MessageParam[];
}

/**
 * The normalized prompt in Anthropic's shape. Anthropic requires user and assistant turns to
 * alternate and wants every tool result of a turn in the one user message that follows the
 * assistant's tool_use blocks, so consecutive messages of the same Anthropic role are merged.
 */
export function convertToAnthropicPrompt(prompt: ModelMessage[]): AnthropicPrompt {
  const systemTexts: string[] = [];
  const messages: MessageParam[] = [];

  const append = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    // A turn with nothing in it (only empty text) is dropped; Anthropic rejects empty content.
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (last?.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        systemTexts.push(message.content);
        break;
      case 'user':
        append('user', message.content.flatMap((part) => textBlocks(part.text)));
        break;
      case 'assistant':
        append(
          'assistant',
          message.content.flatMap((part): ContentBlockParam[] =>
            part.type === 'text'
              ? textBlocks(part.text)
              : [{ type: 'tool_use', id: part.toolCallId, name: part.toolName, input: parseToolInput(part.input) }],
          ),
        );
        break;
      case 'tool':
        append(
          'user',
          message.content.map((part) => ({
            type: 'tool_result' as const,
            tool_use_id: part.toolCallId,
            content: part.output,
            ...(part.isError ? { is_error: true } : {}),
          })),
        );
        break;
    }
  }

  const system = systemTexts.filter((text) => text.length > 0).join('\n\n');
  return system ? { system, messages } : { messages };
}

/** Anthropic rejects empty text blocks ("text content blocks must be non-empty"). */
function textBlocks(text: string): ContentBlockParam[] {
  return text.length > 0 ? [{ type: 'text', text }] : [];
}

/**
 * The normalized tool call carries its arguments as JSON text; Anthropic wants the object. Models
 * sometimes give no arguments or broken JSON: sending `{}` keeps the conversation valid, where
 * throwing would lose the whole turn over one bad call.
 */
export function parseToolInput(input: string): Record<string, unknown> {
  if (!input.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(input);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export interface AnthropicTools {
  tools?: Tool[];
  tool_choice?: AnthropicToolChoice;
}

/**
 * Tools and the tool choice in Anthropic's shape. With no tools, neither field is sent: Anthropic
 * refuses a tool_choice without tools.
 */
export function convertToAnthropicTools(tools: ToolDefinition[] | undefined, toolChoice: ToolChoice | undefined): AnthropicTools {
  if (!tools?.length) return {};
  const converted = tools.map(
    (tool): Tool => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      input_schema: tool.inputSchema as Tool['input_schema'],
    }),
  );
  return toolChoice ? { tools: converted, tool_choice: convertToolChoice(toolChoice) } : { tools: converted };
}

function convertToolChoice(choice: ToolChoice): AnthropicToolChoice {
  switch (choice.type) {
    case 'auto':
      return { type: 'auto' };
    case 'required':
      return { type: 'any' };
    case 'none':
      return { type: 'none' };
    case 'tool':
      return { type: 'tool', name: choice.toolName };
  }
}
