/**
 * Up-front checks of the adapter's options: a `TypeError` that names the
 * option and shows the value and its type, in the main entry's style.
 */

import { showValue } from '../../core/describe.js';

/**
 * Throws a `TypeError` unless `value` is an integer from 1 up.
 *
 * @param value - what the caller passed.
 * @param field - the option's name.
 * @example
 * ```ts
 * assertCount(options.concurrency, 'concurrency');
 * ```
 */
export function assertCount(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`Expected \`${field}\` to be an integer from 1 up, got ${showValue(value)}`);
  }
}

/**
 * Throws a `TypeError` unless `value` is a finite number above 0.
 *
 * @param value - what the caller passed.
 * @param field - the option's name.
 * @example
 * ```ts
 * assertMs(options.redisTimeoutMs, 'redisTimeoutMs');
 * ```
 */
export function assertMs(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${field}\` to be a number of milliseconds above 0, got ${showValue(value)}`);
  }
}

/** BullMQ refuses `:` in queue names; tool queues add `.<tool>`. */
const queueNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/**
 * Throws a `TypeError` unless `value` can name a queue (or a key prefix).
 *
 * @param value - what the caller passed.
 * @param field - the option's name. Default: `queueName`.
 * @example
 * ```ts
 * assertQueueName('tools');
 * ```
 */
export function assertQueueName(value: unknown, field = 'queueName'): asserts value is string {
  if (typeof value !== 'string' || !queueNamePattern.test(value)) {
    throw new TypeError(`Expected \`${field}\` to be 1–100 letters, digits, ".", "_" or "-", got ${showValue(value)}`);
  }
}

/**
 * Throws a `TypeError` unless `value` maps tool names to integers from 1 up.
 *
 * @param value - what the caller passed as `limits`.
 * @example
 * ```ts
 * assertLimits({ search: 2 });
 * ```
 */
export function assertLimits(value: unknown): asserts value is Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`limits\` to be an object of tool name to limit, got ${showValue(value)}`);
  }
  for (const [name, limit] of Object.entries(value)) assertCount(limit, `limits.${name}`);
}
