import type { ModelMessage, ToolResultPart } from '../../language-model.ts';
import type { GoogleContent, GoogleRequestPart } from './google-api.ts';

/**
 * Gemini 3 rejects a history whose function calls lack the `thoughtSignature` it attached to them
 * (400 "Function call ... is missing a thought_signature"). The normalized prompt cannot carry
 * provider metadata, so the real signature is lost; Google documents this value as the one to send
 * for calls it did not sign (history from another model or a client that dropped it). Only the first
 * call of a turn needs it, as only the first call of a parallel batch carries one.
 */
export const skipThoughtSignature = 'skip_thought_signature_validator';

export interface GooglePrompt {
  systemInstruction?: { parts: { text: string }[] };
  contents: GoogleContent[];
}

/**
 * The normalized prompt as Gemini's `systemInstruction` and `contents`. Gemini has two roles only:
 * the assistant is `model`, and tool results are `functionResponse` parts of a `user` turn. Turns of
 * the same role are merged, so the results of parallel calls land in one content, as Gemini expects.
 */
export function convertToGooglePrompt(prompt: ModelMessage[]): GooglePrompt {
  const system: { text: string }[] = [];
  const contents: GoogleContent[] = [];
  // OpenAI clients send tool results with only the call's id; Gemini needs the function's name.
  const namesById = new Map<string, string>();

  const push = (role: GoogleContent['role'], parts: GoogleRequestPart[]) => {
    if (parts.length === 0) return; // Gemini rejects a content without parts.
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        if (message.content) system.push({ text: message.content });
        break;
      case 'user':
        push(
          'user',
          message.content.filter((part) => part.text !== '').map((part) => ({ text: part.text })),
        );
        break;
      case 'assistant': {
        const parts: GoogleRequestPart[] = [];
        let signed = false;
        for (const part of message.content) {
          if (part.type === 'text') {
            if (part.text !== '') parts.push({ text: part.text });
            continue;
          }
          namesById.set(part.toolCallId, part.toolName);
          const functionCall = { name: part.toolName, args: parseArguments(part.input) };
          parts.push(signed ? { functionCall } : { functionCall, thoughtSignature: skipThoughtSignature });
          signed = true;
        }
        push('model', parts);
        break;
      }
      case 'tool':
        push(
          'user',
          message.content.map((part) => ({
            functionResponse: {
              name: namesById.get(part.toolCallId) || part.toolName,
              response: toFunctionResponse(part),
            },
          })),
        );
        break;
    }
  }

  return system.length > 0 ? { systemInstruction: { parts: system }, contents } : { contents };
}

/** Gemini wants the arguments as an object; models sometimes leave "" or broken JSON, which means none. */
function parseArguments(input: string): Record<string, unknown> {
  const parsed = parseJson(input);
  return isPlainObject(parsed) ? parsed : {};
}

/** `response` must be an object: a JSON object result is sent as is, anything else is wrapped. */
function toFunctionResponse(part: ToolResultPart): Record<string, unknown> {
  const parsed = parseJson(part.output);
  if (part.isError) return { error: isPlainObject(parsed) ? parsed : part.output };
  return isPlainObject(parsed) ? parsed : { result: part.output };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
