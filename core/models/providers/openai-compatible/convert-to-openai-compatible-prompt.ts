import type OpenAI from 'openai';
import type { ModelMessage, ToolChoice, ToolDefinition } from '../../language-model.ts';

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** The normalized prompt in OpenAI's chat format: one `tool` message per tool result, calls on the assistant turn. */
export function convertToOpenAICompatiblePrompt(prompt: readonly ModelMessage[]): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        messages.push({ role: 'system', content: message.content });
        break;
      case 'user':
        messages.push({ role: 'user', content: message.content.map((part) => part.text).join('') });
        break;
      case 'assistant': {
        const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
        const calls = message.content.flatMap((part) =>
          part.type === 'tool-call'
            ? [{ id: part.toolCallId, type: 'function' as const, function: { name: part.toolName, arguments: part.input || '{}' } }]
            : [],
        );
        messages.push({ role: 'assistant', content: text || (calls.length ? null : ''), ...(calls.length ? { tool_calls: calls } : {}) });
        break;
      }
      case 'tool':
        for (const result of message.content) {
          messages.push({ role: 'tool', tool_call_id: result.toolCallId, content: result.output });
        }
        break;
    }
  }
  return messages;
}

export function convertTools(tools: readonly ToolDefinition[] | undefined) {
  if (!tools?.length) return undefined;
  return tools.map((tool) => ({
    type: 'function' as const,
    function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.inputSchema },
  }));
}

export function convertToolChoice(choice: ToolChoice | undefined): OpenAI.Chat.Completions.ChatCompletionToolChoiceOption | undefined {
  if (!choice) return undefined;
  if (choice.type === 'tool') return { type: 'function', function: { name: choice.toolName } };
  return choice.type;
}
