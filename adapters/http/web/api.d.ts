// Types for api.js, which the browser loads as it is (no build step), so TypeScript sees it here.

export declare class ApiError extends Error {
  constructor(message: string, details?: { status?: number; code?: string; retryAfter?: number });
  status: number | undefined;
  code: string | undefined;
  /** Seconds, from `Retry-After`. */
  retryAfter: number | undefined;
}
export declare const unreachable: string;
export declare function readError(response: Response): Promise<ApiError>;
export declare function describeError(error: unknown): string;
export declare function sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string>;

/** The title the gateway gives a conversation: its first user message, whitespace collapsed, cut to 80 characters. */
export declare function storedTitle(text: string): string;

export interface ConversationSummary {
  id: string;
  title: string;
  platform: string;
  updatedAt: string;
}
export interface StoredMessage {
  role: string;
  content: string;
  createdAt: string;
}
export interface StreamChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  conversationId: string;
  signal?: AbortSignal;
  onDelta: (text: string) => void;
  onModel?: (model: string) => void;
  /** The gateway's id for the conversation (X-Gateway-Conversation-Id), as its list shows it. */
  onRecord?: (id: string) => void;
}
export interface Client {
  listModels(): Promise<string[]>;
  listConversations(): Promise<ConversationSummary[] | null>;
  conversationMessages(id: string): Promise<StoredMessage[] | null>;
  streamChat(request: StreamChatRequest): Promise<void>;
}
export declare function createClient(options: { token: string; fetch?: typeof fetch }): Client;
