import type { FinishReason, Usage } from '../contracts/message.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { RoutingChoice } from './routing-policy.ts';

/**
 * The gateway's normalized model interface, after the Vercel AI SDK's provider specification
 * (LanguageModelV2). Providers only translate between this and their wire format; retry, circuit
 * breaking and failover wrap a model from outside (model in, model out).
 */

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ToolCallPart {
  type: 'tool-call';
  /** Stable id pairing the call with its result. Providers without ids (Gemini) get synthesized ones. */
  toolCallId: string;
  toolName: string;
  /** The arguments as JSON text, exactly as the model produced them ("{}" when it gave none). */
  input: string;
}

export interface ToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  toolName: string;
  /** The result as text (JSON or prose), as the model will read it. */
  output: string;
  isError?: boolean;
}

export type ModelMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: TextPart[] }
  | { role: 'assistant'; content: (TextPart | ToolCallPart)[] }
  | { role: 'tool'; content: ToolResultPart[] };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  inputSchema: Record<string, unknown>;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; toolName: string };

export interface CallOptions {
  prompt: ModelMessage[];
  /** Default: no tools. */
  tools?: ToolDefinition[];
  /** Default: the provider's (auto when tools are given). */
  toolChoice?: ToolChoice;
  /** Default: the provider's. */
  temperature?: number;
  /** Default: the provider's, or LLM_MAX_TOKENS. */
  maxOutputTokens?: number;
  stopSequences?: string[];
  /** Cancels the HTTP call. */
  abortSignal?: AbortSignal;
  /** Who asks (an internal user id): keeps a routing policy's A/B split sticky. Default: no one, a random arm. */
  caller?: string;
  /** Hears each deployment a routing policy tries, in turn, so a failed call is still told apart by arm. */
  onRouting?: (choice: RoutingChoice) => void;
}

export type Content = TextPart | ToolCallPart;

export interface ResponseMetadata {
  /** The provider's id for the response. */
  id?: string;
  /** The provider's own name for the model, which may carry a version suffix. */
  modelId?: string;
  /** Set by failover: the deployment that served, `provider/model` as configured (what a client can name). */
  deployment?: string;
  /** Set by a routing policy: its name, the arm that served, and the branch that chose it. */
  routing?: RoutingChoice;
}

export interface GenerateResult {
  content: Content[];
  finishReason: FinishReason;
  usage: Usage;
  /** The provider's own id for the response, and which model and deployment answered. */
  response?: ResponseMetadata;
}

/**
 * One event of a streamed answer. Text and each tool call are framed by start/delta/end parts;
 * `index` numbers tool calls 0, 1, 2... in the order they start in this response (not the provider's
 * content-block index), as OpenAI clients expect in `tool_calls[].index`.
 */
export type StreamPart =
  | { type: 'text-start'; id: string }
  | { type: 'text-delta'; id: string; delta: string }
  | { type: 'text-end'; id: string }
  | { type: 'tool-input-start'; id: string; toolName: string; index: number }
  | { type: 'tool-input-delta'; id: string; delta: string }
  | { type: 'tool-input-end'; id: string }
  | ({ type: 'tool-call' } & Omit<ToolCallPart, 'type'>)
  | ({ type: 'response-metadata' } & ResponseMetadata)
  | { type: 'finish'; finishReason: FinishReason; usage: Usage }
  | { type: 'error'; error: GatewayError };

export interface StreamResult {
  /**
   * The parts, ending with exactly one `finish` or `error` part. A stream cut upstream ends with an
   * `error` part, never with a clean `finish`. Only the caller's own abort ends it otherwise: iteration
   * then throws the abort signal's reason.
   */
  stream: AsyncIterable<StreamPart>;
}

export interface LanguageModel {
  /** The provider id, as in `provider/model`: `openai`, `anthropic`, `google`, ..., `offline`. */
  readonly provider: string;
  readonly modelId: string;
  doGenerate(options: CallOptions): Promise<GenerateResult>;
  /**
   * Resolves once the provider has produced its first event, so a failure to connect, an error status
   * or a hang before the first byte rejects here (where retry and failover are still safe); a failure
   * after that arrives as an `error` part.
   */
  doStream(options: CallOptions): Promise<StreamResult>;
}

export interface EmbedResult {
  embeddings: number[][];
  usage: { inputTokens: number };
}

export interface EmbeddingModel {
  readonly provider: string;
  readonly modelId: string;
  doEmbed(options: { values: string[]; abortSignal?: AbortSignal }): Promise<EmbedResult>;
}
