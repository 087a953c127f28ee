import type { ModelMessage, ToolDefinition } from '../../core/models/language-model.ts';

/** Small prompt builders shared by the provider tests. */

/** A user message holding one text part. */
export const user = (text: string): ModelMessage => ({ role: 'user', content: [{ type: 'text', text }] });

/** A tool with a strict draft-07 JSON schema (`$schema`, `required`, `additionalProperties: false`). */
export const weatherTool: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather in a city',
  inputSchema: {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};
