export { messageSchema, usageSchema, finishReasonSchema, type Message, type Usage, type FinishReason } from './message.ts';
export { inboundJobSchema, platformSchema, idSchema, jobIdSchema, type InboundJob, type InboundJobInput, type Platform } from './job.ts';
export { replySchema, type Reply, type OkReply, type ErrorReply } from './reply.ts';
