/**
 * Tool definitions and the tool router: name lookup, validated arguments
 * (zod 4 or JSON Schema, see tool-schema.ts), and the OpenAI function specs
 * the model needs to call them.
 */
import { createToolCallLogic, type ToolCallLogic, type ToolExecutor, type ToolProgress } from '../../machines/tool-call.machine.js';
import { ToolCallError } from '../core/errors.js';
import { UnparsedArguments, type FunctionToolSpec } from '../core/chat-format.js';
import { InvalidToolCall } from '../core/model-turn.js';
import { assertRetryOptions, isTimeout, showValue } from '../core/options.js';
import { assertKnownKeys } from '../core/option-keys.js';
import { assertToolSource } from './run-options.js';
import type { FailureKind, RetryOptions, ToolCall, ToolFailure } from '../core/schemas.js';
import { ApprovalRequest } from '../core/approval.js';
import { compileParameters, type CompiledParameters, type ParsedArguments, type ToolArgs, type ToolParameters } from './tool-schema.js';

export type { JsonSchema, ToolArgs, ToolParameters } from './tool-schema.js';

/** What a tool's `execute` receives besides its parsed arguments. */
export interface ToolExecuteContext {
  /** Fires when the call times out, or the batch fails fast or is cancelled. */
  signal: AbortSignal;
  /** The call being run, as the model sent it: a frozen copy, so a tool cannot change what the batch reports. */
  call: Readonly<ToolCall>;
  /**
   * Reports the call's progress; the batch emits it as a `call.progress` event
   * (to `onEvent`, the progress view, and the parent under `notifyParent`).
   */
  reportProgress(update: ToolProgress): void;
  /** `${runId}:${call.id}` when the batch runs under a `runId`: a re-run after a resume gets the same key. */
  idempotencyKey?: string;
  /** Which attempt this is, from 1 (retries count up). */
  readonly attempt: number;
  /** The call was approved (its tool needs approval), so it runs without asking again. */
  readonly approved: boolean;
}

/** A tool: a name, a schema for its arguments (zod 4 or JSON Schema), and the code that runs it. */
export interface Tool<TSchema extends ToolParameters = ToolParameters, TResult = unknown> {
  /** Unique within a router; what the model calls. `^[a-zA-Z0-9_-]{1,64}$`, as OpenAI requires. */
  name: string;
  /** Tells the model what the tool does. */
  description: string;
  /** Validates (and may transform) the call's arguments: a zod 4 schema (sync or async), or a JSON Schema object. */
  parameters: TSchema;
  /**
   * Runs the tool on parsed arguments. May return a value or a promise of one, or be an async
   * generator: each `yield` is a partial result (a `call.partial` event), and the call's result is
   * what it returns, or its last yield when it returns nothing (as the AI SDK reads a stream).
   * `ToolResult<typeof tool>` and `ToolPartial<typeof tool>` give the types.
   */
  execute(args: ToolArgs<TSchema>, context: ToolExecuteContext): TResult | PromiseLike<TResult>;
  /** This tool's timeout in ms, over the batch's. Default: the batch's `timeoutMs`. */
  timeoutMs?: number;
  /**
   * Whether a call must be approved before it runs: `true`, or a function of the parsed
   * arguments and the call. Such a call waits without holding a lane until `call.approve`
   * (or `runToolBatch`'s `approve` option) says yes. Default: never.
   */
  needsApproval?: boolean | ((args: ToolArgs<TSchema>, call: Readonly<ToolCall>) => boolean | PromiseLike<boolean>);
  /** Retries of this tool's failed calls, over the batch's `retry`. Default: the batch's. */
  retry?: RetryOptions;
}

/**
 * The value a streaming `execute` settles with: the generator's return value, or its last yield
 * (`TYield`) when it returns nothing (`void` or `undefined`).
 */
type StreamResult<TYield, TReturn> = [TReturn] extends [void] ? TYield : Exclude<TReturn, undefined> | (undefined extends TReturn ? TYield : never);

/**
 * What a call of the tool settles with: `execute`'s awaited result, or for a streaming tool (an
 * async generator) its return value, or its last yield when it returns nothing.
 *
 * @example
 * ```ts
 * const countdown = defineTool({
 *   name: 'countdown',
 *   description: 'Counts down',
 *   parameters: z.object({ from: z.number() }),
 *   async *execute({ from }) {
 *     for (let n = from; n > 0; n--) yield n;
 *     return 'liftoff';
 *   },
 * });
 * const result: ToolResult<typeof countdown> = 'liftoff';
 * ```
 */
export type ToolResult<TTool> =
  TTool extends Tool<infer _Schema, infer TResult>
    ? TResult extends AsyncGenerator<infer TYield, infer TReturn, infer _Next>
      ? StreamResult<TYield, TReturn>
      : TResult extends AsyncIterable<infer TYield>
        ? TYield
        : Awaited<TResult>
    : never;

/**
 * The partial results a streaming tool yields (`never` for a tool that does not stream).
 *
 * @example
 * ```ts
 * const partial: ToolPartial<typeof countdown> = 3;
 * ```
 */
export type ToolPartial<TTool> =
  TTool extends Tool<infer _Schema, infer TResult> ? (Awaited<TResult> extends AsyncIterable<infer TYield> ? TYield : never) : never;

/**
 * Any tool, whatever its argument and result types. (`execute` is declared as
 * a method, so a tool with a narrower schema is still assignable here.)
 */
export type AnyTool = Tool<ToolParameters, unknown>;

/** Each defined tool's compiled parameters, made once per tool object. */
const compiled = new WeakMap<object, CompiledParameters>();


const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Every key a tool definition may have, in one place: `defineTool` (and so
 * `createToolRouter`) rejects any other, naming the closest.
 */
export const toolDefinitionKeys: readonly string[] = ['name', 'description', 'parameters', 'execute', 'timeoutMs', 'needsApproval', 'retry'];

/**
 * Defines one tool. Checks the definition up front and returns it typed.
 *
 * @param tool - name, description, `parameters` (a zod 4 schema or a JSON Schema), `execute`, optional `timeoutMs`.
 * @returns the same tool, with `execute`'s arguments typed from the schema.
 * @throws `TypeError` naming the field, its value and its type, for a bad name, description,
 *   schema, `execute` or `timeoutMs`, and for an unknown key (naming the closest known key:
 *   "Unknown option `timeout` of tool "add"; did you mean `timeoutMs`?").
 * @example
 * ```ts
 * const add = defineTool({
 *   name: 'add',
 *   description: 'Adds two numbers',
 *   parameters: z.object({ a: z.number(), b: z.number() }),
 *   execute: ({ a, b }) => a + b,
 * });
 * ```
 */
export function defineTool<TSchema extends ToolParameters, TResult>(tool: Tool<TSchema, TResult>): Tool<TSchema, TResult> {
  if (typeof tool !== 'object' || tool === null || Array.isArray(tool)) throw new TypeError(`Expected a tool definition object, got ${showValue(tool)}`);
  if (typeof tool.name !== 'string' || !toolNamePattern.test(tool.name)) {
    throw new TypeError(`Expected \`name\` to match ${toolNamePattern}, got ${showValue(tool.name)}`);
  }
  assertKnownKeys(tool, toolDefinitionKeys, `of tool "${tool.name}"`);
  if (typeof tool.description !== 'string') {
    throw new TypeError(`Expected \`description\` of tool "${tool.name}" to be a string, got ${showValue(tool.description)}`);
  }
  if (!compiled.has(tool)) compiled.set(tool, compileParameters(tool.name, tool.parameters));
  if (typeof tool.execute !== 'function') {
    throw new TypeError(`Expected \`execute\` of tool "${tool.name}" to be a function, got ${showValue(tool.execute)}`);
  }
  if (tool.timeoutMs !== undefined && !isTimeout(tool.timeoutMs)) {
    throw new TypeError(
      `Expected \`timeoutMs\` of tool "${tool.name}" to be a number of milliseconds above 0, or \`Infinity\`, got ${showValue(tool.timeoutMs)}`,
    );
  }
  if (tool.needsApproval !== undefined && typeof tool.needsApproval !== 'boolean' && typeof tool.needsApproval !== 'function') {
    throw new TypeError(`Expected \`needsApproval\` of tool "${tool.name}" to be a boolean or a function, got ${showValue(tool.needsApproval)}`);
  }
  if (tool.retry !== undefined) assertRetryOptions(tool.retry, `retry\` of tool "${tool.name}`);
  return tool;
}

/** A set of tools, ready to run calls by name. */
export interface ToolRouter {
  /** The tools by name. */
  readonly tools: ReadonlyMap<string, AnyTool>;
  /** Runs one call: looks the tool up, parses its arguments, executes it. */
  readonly execute: ToolExecutor;
  /** The invocation actor logic to provide as the batch machine's `runTool` actor. */
  readonly runTool: ToolCallLogic;
  /** OpenAI function specs: zod schemas via zod's JSON Schema export, JSON Schemas as given. */
  readonly toolSpecs: FunctionToolSpec[];
}

/**
 * Creates a router over a list of tools.
 *
 * Fails a call with `unknownTool` when no tool has its name, and with
 * `invalidArguments` (carrying zod's issues as `failure.error.details`) when
 * its arguments do not parse, or when they are `UnparsedArguments` (the
 * model's argument string was not JSON; `details` is `{ raw }`), or an
 * `InvalidToolCall` (the model sent the call malformed; `details` is
 * `{ field }`, and this is checked before the name is looked up).
 *
 * @param tools - tools from `defineTool`; names must be unique.
 * @returns the router: `execute`, `runTool`, `toolSpecs`.
 * @example
 * ```ts
 * const router = createToolRouter([add]);
 * const machine = toolBatchMachine.provide({ actors: { runTool: router.runTool } });
 * ```
 */
export function createToolRouter(tools: readonly AnyTool[]): ToolRouter {
  if (!Array.isArray(tools)) throw new TypeError(`Expected \`tools\` to be an array of tools, got ${showValue(tools)}`);
  const byName = new Map<string, AnyTool>();
  for (const tool of tools) {
    defineTool(tool);
    if (byName.has(tool.name)) throw new TypeError(`Expected unique tool names, got "${tool.name}" twice`);
    byName.set(tool.name, tool);
  }

  const execute: ToolExecutor = (call, context) => {
    if (InvalidToolCall.isInstance(call.arguments)) {
      // The model sent this call malformed (see toToolCalls): fail it alone, whatever its name.
      throw new ToolCallError('invalidArguments', `Invalid tool call: ${call.arguments.problem}`, {
        details: { field: call.arguments.field },
      });
    }
    const tool = byName.get(call.name);
    if (tool === undefined) {
      const known = [...byName.keys()].map((name) => `"${name}"`).join(', ') || 'none';
      throw new ToolCallError('unknownTool', `No tool named "${call.name}" (known tools: ${known})`);
    }
    if (UnparsedArguments.isInstance(call.arguments)) {
      // The model's argument string was not JSON (see toToolCalls): fail this call only.
      throw new ToolCallError(
        'invalidArguments',
        `Invalid arguments for "${call.name}": arguments are not valid JSON: ${call.arguments.reason}`,
        { details: { raw: call.arguments.raw } },
      );
    }
    const parsed = compiled.get(tool)!.parse(call.arguments);
    // The run context is passed on as is: its signal stays lazy, and its call is the batch's frozen copy.
    const toolContext: ToolExecuteContext = context;
    if (parsed instanceof Promise) return parsed.then((result) => runParsed(tool, call, result, toolContext));
    return runParsed(tool, call, parsed, toolContext);
  };

  let specs: FunctionToolSpec[] | undefined;
  return {
    tools: byName,
    execute,
    runTool: createToolCallLogic(execute, {
      timeoutFor: (call) => byName.get(call.name)?.timeoutMs,
      retryFor: (call, failure, attempt, batchRetry) => retryDelay(byName.get(call.name)?.retry ?? batchRetry, failure, attempt),
    }),
    get toolSpecs() {
      // Lazy: most batches never need the specs, and a schema export is not free.
      specs ??= [...byName.values()].map(toFunctionToolSpec);
      return specs;
    },
  };
}

function runParsed(tool: AnyTool, call: ToolCall, parsed: ParsedArguments, context: ToolExecuteContext): unknown {
  if (!parsed.ok) {
    throw new ToolCallError('invalidArguments', `Invalid arguments for "${call.name}": ${parsed.message}`, {
      details: parsed.details,
      cause: parsed.cause,
    });
  }
  const { needsApproval } = tool;
  if (needsApproval === undefined || needsApproval === false || context.approved) return tool.execute(parsed.data as never, context);
  if (needsApproval === true) return new ApprovalRequest(parsed.data);
  // A function decides, maybe asynchronously: ask when it says yes, run at once when it says no.
  const decide = (needed: boolean): unknown => (needed ? new ApprovalRequest(parsed.data) : tool.execute(parsed.data as never, context));
  const needed = needsApproval(parsed.data as never, context.call);
  return typeof (needed as PromiseLike<boolean>)?.then === 'function' ? Promise.resolve(needed).then(decide) : decide(needed as boolean);
}

const retryableByDefault: readonly FailureKind[] = ['error', 'timeout'];

/**
 * The delay before the next attempt of a failed call, or `undefined` when the failure is final:
 * its tool's `retry` (or the batch's), the failure's kind, and the attempts so far decide.
 *
 * @param retry - the retries in force.
 * @param failure - how the attempt failed.
 * @param attempt - the attempt that failed, from 1.
 * @param random - a number in [0, 1) for the jitter. Default: `Math.random()`.
 * @returns ms to wait, or `undefined`.
 * @example
 * ```ts
 * retryDelay({ attempts: 3, initialDelayMs: 100 }, failure, 1); // 100
 * ```
 */
export function retryDelay(retry: RetryOptions | undefined, failure: ToolFailure, attempt: number, random = Math.random()): number | undefined {
  if (retry === undefined || attempt >= retry.attempts) return undefined;
  if (!(retry.retryOn ?? retryableByDefault).includes(failure.kind)) return undefined;
  const base = Math.min(retry.initialDelayMs * (retry.factor ?? 2) ** (attempt - 1), retry.maxDelayMs ?? 30_000);
  return Math.round(base * (1 - (retry.jitter ?? 0) * random));
}

function toFunctionToolSpec(tool: AnyTool): FunctionToolSpec {
  const parameters = compiled.get(tool)!.jsonSchema();
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters } };
}

const routers = new WeakMap<readonly AnyTool[], ToolRouter>();

/** Where the tools come from: a list of tools, or a router built from one. */
export type ToolSource = { tools: readonly AnyTool[]; router?: never } | { router: ToolRouter; tools?: never };

/**
 * The router of a `ToolSource`: `router` as given, or one made from `tools`.
 *
 * @param source - `{ tools }` or `{ router }`.
 * @returns the router.
 * @throws `TypeError` when there is neither, or both, or `router` is not a router.
 * @example
 * ```ts
 * const router = routerFrom({ tools: [add] });
 * ```
 */
export function routerFrom(source: ToolSource): ToolRouter {
  assertToolSource(source);
  if (source.router !== undefined) return source.router;
  if (source.tools !== undefined) {
    // One router per tools array: building one per batch cost about 85 µs. The array is read once,
    // so a changed set of tools needs a new array (as React's dependency lists do).
    let router = routers.get(source.tools);
    if (router === undefined) {
      router = createToolRouter(source.tools);
      routers.set(source.tools, router);
    }
    return router;
  }
  throw new TypeError(`Expected \`tools\` (an array of tools) or \`router\`, got ${showValue((source as { tools?: unknown }).tools)}`);
}
