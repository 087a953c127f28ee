export { compose, Pipeline, type Next, type Step } from './compose.ts';
export type { Checkpoints, JobContext } from './context.ts';
export { createPipeline, type PipelineServices } from './pipeline.ts';
export { createJobRunner, type AttemptInfo, type JobOutcome, type JobRunner } from './run-job.ts';
