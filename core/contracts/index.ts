export {
  messageSchema,
  usageSchema,
  finishReasonSchema,
  toolCallSchema,
  toolDefinitionSchema,
  toolChoiceSchema,
  type Message,
  type Usage,
  type FinishReason,
  type ToolCall,
  type ToolDefinition,
  type ToolChoice,
} from './message.ts';
export { inboundJobSchema, platformSchema, idSchema, jobIdSchema, replyToSchema, type InboundJob, type InboundJobInput, type Platform, type ReplyTo } from './job.ts';
export { replySchema, serializedErrorSchema, type Reply, type OkReply, type ErrorReply } from './reply.ts';
export { streamPartSchema, isTerminal, type StreamPart } from './stream-part.ts';
