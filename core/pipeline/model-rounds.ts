import type { Usage } from '../contracts/message.ts';
import type { Route } from '../contracts/reply.ts';
import type { StreamPart as RelayPart } from '../contracts/stream-part.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { addUsage, collectStream, textOf } from '../models/collect-stream.ts';
import type { CallOptions, GenerateResult, LanguageModel, StreamPart } from '../models/language-model.ts';
import type { RoutingChoice } from '../models/routing-policy.ts';
import { servedBy } from '../models/served-by.ts';
import type { JobContext } from './context.ts';

export interface ModelRoundsOptions {
  model: LanguageModel;
  route: Route;
  /**
   * The gateway runs the tools the model calls (backend tools), so tool calls are not the client's: their
   * parts are not relayed, and a round that calls tools does not end the client's stream.
   */
  backendTools: boolean;
  /** Text the gateway adds under the answer (cited sources, approval codes), given the answer's text. Default: none. */
  epilogue?: (text: string) => string;
  /** The internal user asking: a routing policy's A/B arm sticks to them. */
  caller?: string;
}

/**
 * The model calls of one job: the first, then one more after each round of backend tools. Each call is
 * checkpointed by name, so a retried job does not pay twice. For a streaming job the parts are published
 * as they come, as one answer across rounds: one `start`, the text of every round, and one `finish` with
 * the usage of all rounds. Once anything is out, a failure is final: an answer partly sent is never
 * restarted.
 */
export class ModelRounds {
  readonly #ctx: JobContext;
  readonly #options: ModelRoundsOptions;
  #usage: Usage | undefined;
  #texts: string[] = [];
  #announced = false;
  #published = false;
  #last: Promise<unknown> = Promise.resolve();
  /** Milliseconds spent waiting for the model, over every round. */
  inferMs = 0;
  /** What a routing policy chose for the last call: the arm that served, or the last one tried when all failed. */
  routing: RoutingChoice | undefined;

  constructor(ctx: JobContext, options: ModelRoundsOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  /** One model call; `name` keys its checkpoint (`infer` for the first, `infer:<round>` after). */
  async call(name: string, options: Omit<CallOptions, 'abortSignal'>): Promise<GenerateResult> {
    const started = performance.now();
    const { job, checkpoints, abortSignal, log } = this.#ctx;
    try {
      const result = await checkpoints.once(name, async () => {
        const onRouting = (choice: RoutingChoice) => (this.routing = choice);
        const { stream } = await this.#options.model.doStream({ ...options, abortSignal, caller: this.#options.caller, onRouting });
        if (!job.request.stream) return collectStream({ stream });
        try {
          return await collectStream({ stream: this.#relay(stream) });
        } catch (error) {
          if (!this.#published || !(error instanceof GatewayError)) throw error;
          throw new GatewayError(error.code, error.message, { param: error.param ?? undefined, retryable: false, cause: error });
        } finally {
          await this.#last;
        }
      });
      // From the checkpoint, when an earlier attempt of the job made this call.
      this.routing = result.response?.routing ?? this.routing;
      log.debug({ call: name, deployment: servedBy(this.#options.model, result), ms: Math.round(performance.now() - started), usage: result.usage, finishReason: result.finishReason }, 'model call');
      this.#usage = this.#usage ? addUsage(this.#usage, result.usage) : result.usage;
      const text = textOf(result.content);
      if (text) this.#texts.push(text);
      return result;
    } catch (error) {
      log.debug({ call: name, deployment: servedBy(this.#options.model), ms: Math.round(performance.now() - started), code: (error as GatewayError).code }, 'model call failed');
      throw error;
    } finally {
      this.inferMs += performance.now() - started;
    }
  }

  /** The answer as the client sees it: the text of every round and the epilogue, and the usage of them all. */
  answer(last: GenerateResult): GenerateResult {
    const calls = last.content.filter((part) => part.type === 'tool-call');
    const text = this.#withEpilogue(this.#texts.join('\n\n'));
    return { ...last, content: [...(text ? [{ type: 'text' as const, text }] : []), ...calls], usage: this.#usage ?? last.usage };
  }

  #withEpilogue(text: string): string {
    const extra = this.#options.epilogue?.(text) ?? '';
    return extra ? (text ? `${text}\n\n${extra}` : extra) : text;
  }

  #send(part: RelayPart) {
    this.#published = true;
    this.#last = this.#ctx.publish(part);
  }

  async *#relay(source: AsyncIterable<StreamPart>): AsyncGenerator<StreamPart> {
    const { model, route, backendTools } = this.#options;
    const indexes = new Map<string, number>();
    let callsTools = false;
    let roundText = '';
    for await (const part of source) {
      if (!this.#announced && part.type !== 'error') {
        this.#announced = true;
        const deployment = part.type === 'response-metadata' && part.deployment ? part.deployment : servedBy(model);
        this.#send({ type: 'start', model: deployment, created: Math.floor(Date.now() / 1000), route: { tier: route.tier, reason: route.reason } });
      }
      if (part.type === 'text-delta' && part.delta) {
        // A later round's text follows the earlier rounds' as a new paragraph, as `answer` joins them.
        if (!roundText && this.#texts.length) this.#send({ type: 'text', delta: '\n\n' });
        roundText += part.delta;
        this.#send({ type: 'text', delta: part.delta });
      }
      if (part.type === 'tool-input-start') {
        callsTools = true;
        indexes.set(part.id, part.index);
        if (!backendTools) this.#send({ type: 'tool-start', index: part.index, id: part.id, name: part.toolName });
      }
      if (part.type === 'tool-input-delta' && !backendTools) this.#send({ type: 'tool-delta', index: indexes.get(part.id) ?? 0, delta: part.delta });
      if (part.type === 'tool-call') callsTools = true;
      if (part.type === 'finish' && !(backendTools && callsTools)) {
        const text = [...this.#texts, ...(roundText ? [roundText] : [])].join('\n\n');
        const extra = this.#withEpilogue(text).slice(text.length);
        if (extra) this.#send({ type: 'text', delta: extra });
        const usage = this.#usage ? addUsage(this.#usage, part.usage) : part.usage;
        this.#send({ type: 'finish', finishReason: part.finishReason, usage });
      }
      yield part;
    }
  }
}
