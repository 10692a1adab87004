/**
 * `xstate-parallel-tools/postgres`: durable runs in PostgreSQL, over `pg`
 * (an optional peer dependency: this entry never imports it, you pass a pool).
 */
export { createPostgresStore } from './postgres-store.js';
export type { ListRunsOptions, PostgresQueryable, PostgresRunInfo, PostgresRunStore, PostgresStoreOptions } from './postgres-store.js';
