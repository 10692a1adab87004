/**
 * The guard every test file that runs tools installs: it records unhandled
 * rejections and uncaught exceptions, and fails the test that let one escape.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/**
 * Installs the guard for the calling test file.
 *
 * @returns the list the guard records into (empty while all is well).
 * @example
 * ```ts
 * const unhandled = guardUnhandled();
 * ```
 */
export function guardUnhandled(): unknown[] {
  const unhandled: unknown[] = [];
  const record = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => {
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterAll(() => {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  });
  afterEach(async () => {
    // Let Node report any rejection nobody handled before the guard is read.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });
  return unhandled;
}
