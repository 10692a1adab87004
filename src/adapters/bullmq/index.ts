/**
 * `xstate-parallel-tools/bullmq`: tool calls run as BullMQ jobs on workers
 * over Redis, with the batch statechart unchanged; a run store in Redis.
 * `bullmq` and `ioredis` are optional peer dependencies, loaded only here.
 */
export { createBullMQRunner } from './runner.js';
export type { BullMQRunner, BullMQRunnerOptions } from './runner.js';
export { createBullMQWorker } from './worker.js';
export type { BullMQToolWorker, BullMQWorkerOptions } from './worker.js';
export { createRedisStore } from './redis-store.js';
export type { RedisRunStore, RedisStoreOptions } from './redis-store.js';
export type { RedisConnection } from './connection.js';
export type { JobTracing, TracedJob } from './job-tracing.js';
