import { sourcesHeading } from '../../../knowledge/cite-sources.ts';
import type { CallOptions, GenerateResult, LanguageModel, StreamPart, StreamResult } from '../../language-model.ts';

const echoLimit = 200;

/** A rough, deterministic token count: about four characters a token, as for English text. */
export const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/**
 * The built-in model used when no provider is configured, so the platform answers out of the box.
 * It says plainly that it is offline and how to configure a real provider, and it is deterministic:
 * the same prompt always gets the same answer, which tests rely on.
 */
export class OfflineModel implements LanguageModel {
  readonly provider = 'offline';
  readonly modelId = 'offline';

  async doGenerate({ prompt, abortSignal }: CallOptions): Promise<GenerateResult> {
    abortSignal?.throwIfAborted();
    const lastUser = prompt.findLast((message) => message.role === 'user');
    const said = lastUser ? lastUser.content.map((part) => part.text).join('') : '';
    const echo = said.length > echoLimit ? `${said.slice(0, echoLimit)}…` : said;
    const text =
      'This is the built-in offline model: no model provider is configured, so no AI model read your message. ' +
      'To use one, set an API key such as OPENAI_API_KEY or ANTHROPIC_API_KEY (and LLM_PROVIDER to choose among ' +
      `several) and restart the platform. You said: "${echo}"${closestPassage(prompt)}`;
    const input = prompt.reduce((sum, message) => sum + estimateTokens(textOfMessage(message)), 0);
    return {
      content: [{ type: 'text', text }],
      finishReason: 'stop',
      usage: { inputTokens: input, outputTokens: estimateTokens(text) },
    };
  }

  /** The same answer, streamed word by word. */
  async doStream(options: CallOptions): Promise<StreamResult> {
    const { content, finishReason, usage } = await this.doGenerate(options);
    const text = content[0]?.type === 'text' ? content[0].text : '';
    async function* parts(): AsyncGenerator<StreamPart> {
      yield { type: 'text-start', id: 'text-0' };
      for (const word of text.match(/\S+\s*/g) ?? []) {
        options.abortSignal?.throwIfAborted();
        yield { type: 'text-delta', id: 'text-0', delta: word };
      }
      yield { type: 'text-end', id: 'text-0' };
      yield { type: 'finish', finishReason, usage };
    }
    return { stream: parts() };
  }
}

/**
 * The best retrieved passage, quoted and cited, when the prompt carries sources: with no model to read
 * them, the offline answer still shows that retrieval found something, and what.
 */
function closestPassage(prompt: CallOptions['prompt']): string {
  const sources = prompt.find((message) => message.role === 'system' && message.content.startsWith(sourcesHeading));
  const match = sources && /^\[1\] (.+)\n<untrusted-data[^>]*>\n([\s\S]*?)\n<\/untrusted-data>/m.exec(sources.content as string);
  if (!match) return '';
  const passage = match[2]!.replace(/\s+/g, ' ').trim();
  return ` The closest passage in the knowledge base is [1] ${match[1]}: "${passage.length > 300 ? `${passage.slice(0, 300)}…` : passage}"`;
}

function textOfMessage(message: CallOptions['prompt'][number]): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((part) => ('text' in part ? part.text : 'output' in part ? part.output : part.input)).join('');
}
