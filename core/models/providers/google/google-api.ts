import { z } from 'zod';

/**
 * The Gemini REST wire format (generativelanguage.googleapis.com, v1beta), as far as the gateway reads
 * it. Every object is loose: Google adds fields (thoughtSignature, citationMetadata, groundingMetadata,
 * modelStatus...) without notice, and an unknown field must never turn a good answer into an error.
 * Fields the gateway does not read are simply not declared.
 */

export const googleFunctionCallSchema = z.looseObject({
  /** Only some models (and Vertex) send an id; most calls arrive without one. */
  id: z.string().optional(),
  name: z.string(),
  /** The arguments as an object; absent when the function takes none. */
  args: z.record(z.string(), z.unknown()).nullish(),
});
export type GoogleFunctionCall = z.infer<typeof googleFunctionCallSchema>;

export const googlePartSchema = z.looseObject({
  text: z.string().optional(),
  /** A thought summary (includeThoughts): hidden reasoning, never part of the answer. */
  thought: z.boolean().optional(),
  functionCall: googleFunctionCallSchema.optional(),
});
export type GooglePart = z.infer<typeof googlePartSchema>;

export const googleCandidateSchema = z.looseObject({
  /** Absent when the candidate was blocked before producing anything. */
  content: z
    .looseObject({
      role: z.string().optional(),
      /** Absent on some final stream chunks that only carry finishReason and usage. */
      parts: z.array(googlePartSchema).optional(),
    })
    .optional(),
  /** A string, not a closed enum: Google keeps adding reasons (UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS...). */
  finishReason: z.string().optional(),
  index: z.number().optional(),
});

export const googleUsageSchema = z.looseObject({
  promptTokenCount: z.number().optional(),
  candidatesTokenCount: z.number().optional(),
  thoughtsTokenCount: z.number().optional(),
  cachedContentTokenCount: z.number().optional(),
  totalTokenCount: z.number().optional(),
});
export type GoogleUsage = z.infer<typeof googleUsageSchema>;

/** One answer of :generateContent, and equally one SSE chunk of :streamGenerateContent?alt=sse. */
export const googleGenerateContentResponseSchema = z.looseObject({
  candidates: z.array(googleCandidateSchema).optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional() }).optional(),
  usageMetadata: googleUsageSchema.optional(),
  modelVersion: z.string().optional(),
  responseId: z.string().optional(),
});
export type GoogleGenerateContentResponse = z.infer<typeof googleGenerateContentResponseSchema>;

/**
 * Google's error body: `{ error: { code, message, status, details } }`. `details` carries typed
 * entries such as ErrorInfo (`reason: 'API_KEY_INVALID'`) and RetryInfo (`retryDelay: '37s'`).
 */
export const googleErrorBodySchema = z.looseObject({
  error: z.looseObject({
    code: z.number().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    details: z.array(z.looseObject({ '@type': z.string().optional() })).optional(),
  }),
});
export type GoogleErrorBody = z.infer<typeof googleErrorBodySchema>;

export const googleBatchEmbedResponseSchema = z.looseObject({
  embeddings: z.array(z.looseObject({ values: z.array(z.number()) })),
  /** Not sent by the API today; read if it ever is, so usage is real rather than estimated. */
  usageMetadata: z.looseObject({ promptTokenCount: z.number().optional() }).optional(),
});
export type GoogleBatchEmbedResponse = z.infer<typeof googleBatchEmbedResponseSchema>;

// ---- Request shapes (built by the gateway, so plain types rather than schemas) ----

export type GoogleRequestPart =
  | { text: string }
  | { functionCall: { name: string; args: Record<string, unknown> }; thoughtSignature?: string }
  | { functionResponse: { name: string; response: Record<string, unknown> } };

export interface GoogleContent {
  role: 'user' | 'model';
  parts: GoogleRequestPart[];
}

export interface GoogleFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface GoogleToolConfig {
  functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] };
}

export interface GoogleGenerationConfig {
  temperature?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
}

export interface GoogleGenerateContentRequest {
  contents: GoogleContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: { functionDeclarations: GoogleFunctionDeclaration[] }[];
  toolConfig?: GoogleToolConfig;
  generationConfig?: GoogleGenerationConfig;
}
