/**
 * Checks of the options `runToolBatch`, `withParallelTools` and `runAgent`
 * share beyond the batch options: where the tools come from, and the hooks
 * (`signal`, `onEvent`, `inspect`, `clock`, `runId`). Each failure is a
 * `TypeError` that names the option, the value and its type, thrown before
 * anything starts: a wrong-typed hook used to fail only once tools ran, as
 * "signal?.addEventListener is not a function".
 */
import { assertRunId } from './run-store.js';
import { showValue } from '../core/describe.js';

function expected(field: string, what: string, value: unknown): TypeError {
  return new TypeError(`Expected \`${field}\` to be ${what}, got ${showValue(value)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return isObject(value) && names.every((name) => typeof value[name] === 'function');
}

/**
 * True for an `AbortSignal`, from this realm or another (a polyfill or a
 * test environment's own): an object with a boolean `aborted` and the
 * listener methods.
 *
 * @param value - anything.
 * @returns whether it can be used as a signal.
 * @example
 * ```ts
 * isAbortSignal(AbortSignal.abort()); // true
 * ```
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return hasMethods(value, ['addEventListener', 'removeEventListener']) && typeof (value as { aborted?: unknown }).aborted === 'boolean';
}

/** The hooks checked by `assertRunHooks`. */
export interface RunHooks {
  signal?: unknown;
  onEvent?: unknown;
  inspect?: unknown;
  clock?: unknown;
  runId?: unknown;
  store?: unknown;
  leaseMs?: unknown;
  approve?: unknown;
}

/**
 * Checks the hooks: `signal` an `AbortSignal`, `onEvent` a function,
 * `inspect` a function or an observer, `clock` an object with `setTimeout`,
 * `clearTimeout` and `now`, `runId` a non-empty string. Each may be absent.
 *
 * @param options - the caller's options.
 * @throws `TypeError` naming the first wrong option, its value and its type.
 * @example
 * ```ts
 * assertRunHooks({ signal: 'stop' });
 * // TypeError: Expected `signal` to be an AbortSignal, got `"stop"` (string)
 * ```
 */
export function assertRunHooks(options: RunHooks): void {
  const { signal, onEvent, inspect, clock, runId } = options;
  if (signal !== undefined && !isAbortSignal(signal)) throw expected('signal', 'an AbortSignal', signal);
  if (onEvent !== undefined && typeof onEvent !== 'function') throw expected('onEvent', 'a function', onEvent);
  if (
    inspect !== undefined &&
    typeof inspect !== 'function' &&
    !(isObject(inspect) && ['next', 'error', 'complete'].some((name) => typeof inspect[name] === 'function'))
  ) {
    throw expected('inspect', 'a function or an observer `{ next, error?, complete? }`', inspect);
  }
  if (clock !== undefined && !hasMethods(clock, ['setTimeout', 'clearTimeout', 'now'])) {
    throw expected('clock', 'an object with `setTimeout`, `clearTimeout` and `now` methods (such as `SimulatedClock`)', clock);
  }
  if (runId !== undefined) assertRunId(runId);
  const { store, approve, leaseMs } = options;
  if (store !== undefined && !hasMethods(store, ['load', 'save', 'delete', 'lease'])) {
    throw expected('store', 'a RunStore: an object with `load`, `save`, `delete` and `lease` methods (such as `createFileStore(dir)`)', store);
  }
  if (leaseMs !== undefined && !(typeof leaseMs === 'number' && Number.isInteger(leaseMs) && leaseMs >= 1)) {
    throw expected('leaseMs', 'an integer from 1 up', leaseMs);
  }
  if (store !== undefined && runId === undefined) throw new TypeError('Expected `runId` beside `store`: a durable run needs an id to resume by, got `undefined` (undefined)');
  if (approve !== undefined && typeof approve !== 'function') throw expected('approve', 'a function `(request) => boolean | Promise<boolean>`', approve);
}

/**
 * Checks where the tools come from: `tools` (an array), `router` (from
 * `createToolRouter`) or `runner`, with `tools` allowed beside `runner` (to
 * describe them to a model) but never beside `router`. `router` and `tools`
 * together used to prefer `router` in silence.
 *
 * @param options - the caller's options.
 * @throws `TypeError` for both `tools` and `router`, both `runner` and `router`, or a `router` that is not a router.
 * @example
 * ```ts
 * assertToolSource({ tools: [add], router });
 * // TypeError: Expected either `tools` or `router`, got both
 * ```
 */
export function assertToolSource(options: { tools?: unknown; router?: unknown; runner?: unknown }): void {
  const { tools, router, runner } = options;
  if (router !== undefined && tools !== undefined) throw new TypeError('Expected either `tools` or `router`, got both');
  if (router !== undefined && runner !== undefined) throw new TypeError('Expected either `runner` or `router`, got both');
  if (router !== undefined && !(isObject(router) && hasMethods(router.runTool, ['transition']) && typeof router.execute === 'function')) {
    throw expected('router', 'a ToolRouter (from `createToolRouter`)', router);
  }
}
