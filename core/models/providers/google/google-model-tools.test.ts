import { describe, expect, it } from 'vitest';
import {
  functionCallPart,
  geminiResponse,
  replyGenerate,
  replyText,
  useFakeGemini,
} from '../../../../test/fakes/fake-gemini.ts';
import { user, weatherTool } from '../../../../test/helpers/prompts.ts';

const gemini = useFakeGemini();

describe('GoogleModel tools', () => {
  it("uses Gemini's own call id when it gives one, and sends empty or broken arguments as {}", async () => {
    gemini.fake.reply(replyGenerate(geminiResponse({ parts: [functionCallPart('list_files', undefined, 'gemini-call-7')] })));
    const result = await gemini.model.doGenerate({ prompt: [user('ls')], tools: [{ name: 'list_files', inputSchema: { type: 'object' } }] });
    expect(result.content).toEqual([{ type: 'tool-call', toolCallId: 'gemini-call-7', toolName: 'list_files', input: '{}' }]);
    // A function without arguments is declared without parameters: Gemini rejects an empty OBJECT.
    expect((gemini.fake.last!.body as { tools: unknown }).tools).toEqual([{ functionDeclarations: [{ name: 'list_files' }] }]);

    gemini.fake.reply(replyText('ok'));
    await gemini.model.doGenerate({
      prompt: [
        user('go'),
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', toolCallId: 'a', toolName: 'list_files', input: '' },
            { type: 'tool-call', toolCallId: 'b', toolName: 'list_files', input: '{broken' },
          ],
        },
      ],
    });
    const assistant = (gemini.fake.last!.body as { contents: { parts: { functionCall: { args: unknown } }[] }[] }).contents[1]!;
    expect(assistant.parts.map((part) => part.functionCall.args)).toEqual([{}, {}]);
  });

  it.each([
    [{ type: 'required' } as const, { mode: 'ANY' }],
    [{ type: 'none' } as const, { mode: 'NONE' }],
    [{ type: 'tool', toolName: 'get_weather' } as const, { mode: 'ANY', allowedFunctionNames: ['get_weather'] }],
  ])('maps tool choice %j to functionCallingConfig', async (toolChoice, functionCallingConfig) => {
    gemini.fake.reply(replyText('ok'));
    await gemini.model.doGenerate({ prompt: [user('x')], tools: [weatherTool], toolChoice });
    expect((gemini.fake.last!.body as { toolConfig: unknown }).toolConfig).toEqual({ functionCallingConfig });
  });

  it('removes $schema and additionalProperties at every depth, but keeps properties with those names', async () => {
    gemini.fake.reply(replyText('ok'));
    const inputSchema = {
      type: 'object',
      additionalProperties: false,
      properties: {
        additionalProperties: { type: 'string' },
        filter: { type: 'object', additionalProperties: { type: 'string' }, properties: { tag: { type: 'string' } } },
        items: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { id: { type: 'number' } } } },
      },
    };
    await gemini.model.doGenerate({ prompt: [user('x')], tools: [{ name: 'search', inputSchema }] });
    const declaration = (gemini.fake.last!.body as { tools: { functionDeclarations: { parameters: unknown }[] }[] }).tools[0]!.functionDeclarations[0]!;
    expect(declaration.parameters).toEqual({
      type: 'object',
      properties: {
        additionalProperties: { type: 'string' },
        filter: { type: 'object', properties: { tag: { type: 'string' } } },
        items: { type: 'array', items: { type: 'object', properties: { id: { type: 'number' } } } },
      },
    });
  });
});
