/**
 * Tool definitions and the tool router: name lookup, zod-validated arguments,
 * and the OpenAI function specs the model needs to call them.
 */
import { z } from 'zod';
import { createToolCallLogic, type ToolCallLogic, type ToolExecutor } from '../machines/tool-call.machine.js';
import { ToolCallError } from './errors.js';
import { UnparsedArguments } from './openai-format.js';
import { isTimeout, showValue } from './options.js';
import type { ToolCall } from './schemas.js';

/** What a tool's `execute` receives besides its parsed arguments. */
export interface ToolExecuteContext {
  /** Fires when the call times out, or the batch fails fast or is cancelled. */
  signal: AbortSignal;
  /** The call being run, as the model sent it. */
  call: ToolCall;
}

/** A tool: a name, a zod schema for its arguments, and the code that runs it. */
export interface Tool<TSchema extends z.ZodType = z.ZodType, TResult = unknown> {
  /** Unique within a router; what the model calls. `^[a-zA-Z0-9_-]{1,64}$`, as OpenAI requires. */
  name: string;
  /** Tells the model what the tool does. */
  description: string;
  /** Validates (and may transform) the call's arguments. */
  parameters: TSchema;
  /** Runs the tool on parsed arguments. May return a value or a promise of one. */
  execute(args: z.output<TSchema>, context: ToolExecuteContext): TResult | PromiseLike<TResult>;
  /** This tool's timeout in ms, over the batch's. Default: the batch's `timeoutMs`. */
  timeoutMs?: number;
}

/**
 * Any tool, whatever its argument and result types. (`execute` is declared as
 * a method, so a tool with a narrower schema is still assignable here.)
 */
export type AnyTool = Tool<z.ZodType, unknown>;

/** An OpenAI chat-completions function tool spec. */
export interface FunctionToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Defines one tool. Checks the definition up front and returns it typed.
 *
 * @param tool - name, description, zod `parameters`, `execute`, optional `timeoutMs`.
 * @returns the same tool, with `execute`'s arguments typed from the schema.
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
export function defineTool<TSchema extends z.ZodType, TResult>(tool: Tool<TSchema, TResult>): Tool<TSchema, TResult> {
  if (typeof tool !== 'object' || tool === null) throw new TypeError(`Expected a tool definition object, got ${showValue(tool)}`);
  if (typeof tool.name !== 'string' || !toolNamePattern.test(tool.name)) {
    throw new TypeError(`Expected \`name\` to match ${toolNamePattern}, got ${showValue(tool.name)}`);
  }
  if (typeof tool.description !== 'string') {
    throw new TypeError(`Expected \`description\` of tool "${tool.name}" to be a string, got ${showValue(tool.description)}`);
  }
  if (!(tool.parameters instanceof z.ZodType)) {
    throw new TypeError(`Expected \`parameters\` of tool "${tool.name}" to be a zod schema, got ${showValue(tool.parameters)}`);
  }
  if (typeof tool.execute !== 'function') {
    throw new TypeError(`Expected \`execute\` of tool "${tool.name}" to be a function, got ${showValue(tool.execute)}`);
  }
  if (tool.timeoutMs !== undefined && !isTimeout(tool.timeoutMs)) {
    throw new TypeError(
      `Expected \`timeoutMs\` of tool "${tool.name}" to be a number of milliseconds above 0, or \`Infinity\`, got ${showValue(tool.timeoutMs)}`,
    );
  }
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
  /** OpenAI function specs, from the zod schemas via zod's JSON Schema export. */
  readonly toolSpecs: FunctionToolSpec[];
}

/**
 * Creates a router over a list of tools.
 *
 * Fails a call with `unknownTool` when no tool has its name, and with
 * `invalidArguments` (carrying zod's issues as `failure.error.details`) when
 * its arguments do not parse, or when they are `UnparsedArguments` (the
 * model's argument string was not JSON; `details` is `{ raw }`).
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
    defineTool(tool as Tool<z.ZodType, unknown>);
    if (byName.has(tool.name)) throw new TypeError(`Expected unique tool names, got "${tool.name}" twice`);
    byName.set(tool.name, tool);
  }

  const execute: ToolExecutor = (call, context) => {
    const tool = byName.get(call.name) as Tool<z.ZodType, unknown> | undefined;
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
    const parsed = tool.parameters.safeParse(call.arguments);
    if (!parsed.success) {
      throw new ToolCallError(
        'invalidArguments',
        `Invalid arguments for "${call.name}": ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`,
        { details: parsed.error.issues, cause: parsed.error },
      );
    }
    // The run context is passed on as is, so that its signal stays lazy.
    return tool.execute(parsed.data, context);
  };

  let specs: FunctionToolSpec[] | undefined;
  return {
    tools: byName,
    execute,
    runTool: createToolCallLogic(execute, { timeoutFor: (call) => byName.get(call.name)?.timeoutMs }),
    get toolSpecs() {
      // Lazy: most batches never need the specs, and a schema export is not free.
      specs ??= [...byName.values()].map(toFunctionToolSpec);
      return specs;
    },
  };
}

function toFunctionToolSpec(tool: AnyTool): FunctionToolSpec {
  const { $schema: _dialect, ...parameters } = z.toJSONSchema(tool.parameters as z.ZodType, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters } };
}

/** Where the tools come from: a list of tools, or a router built from one. */
export type ToolSource = { tools: readonly AnyTool[]; router?: never } | { router: ToolRouter; tools?: never };

/**
 * The router of a `ToolSource`: `router` as given, or one made from `tools`.
 *
 * @param source - `{ tools }` or `{ router }`.
 * @returns the router.
 * @throws `TypeError` when there is neither.
 * @example
 * ```ts
 * const router = routerFrom({ tools: [add] });
 * ```
 */
export function routerFrom(source: ToolSource): ToolRouter {
  if (source.router !== undefined) return source.router;
  if (source.tools !== undefined) return createToolRouter(source.tools);
  throw new TypeError(`Expected \`tools\` (an array of tools) or \`router\`, got ${showValue((source as { tools?: unknown }).tools)}`);
}
