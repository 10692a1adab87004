/**
 * `toAiSdkTools`: the AI SDK tool declarations (no `execute`) of our tools,
 * for a `generateText` step whose calls `runAiSdkToolCalls` then runs.
 */
import { createToolRouter, type AnyTool, type ToolRouter } from '../../index.js';

/**
 * A Standard Schema (standardschema.dev) that gives the SDK a tool's JSON
 * Schema and accepts any input as is: the batch parses the input with the
 * tool's own schema, so a transform runs once and a bad input is an
 * `invalidArguments` failure under the batch's policy.
 *
 * @example
 * ```ts
 * const schema: AiSdkPassThroughSchema = toAiSdkTools([weather]).weather!.inputSchema;
 * ```
 */
export interface AiSdkPassThroughSchema {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: 'xstate-parallel-tools';
    validate(value: unknown): { value: unknown };
    readonly jsonSchema: {
      input(options: unknown): Record<string, unknown>;
      output(options: unknown): Record<string, unknown>;
    };
  };
}

/**
 * One tool as the SDK's `tools` option declares it, without `execute`.
 *
 * @example
 * ```ts
 * const { description, inputSchema }: AiSdkToolDeclaration = toAiSdkTools([weather]).weather!;
 * ```
 */
export interface AiSdkToolDeclaration {
  description: string;
  inputSchema: AiSdkPassThroughSchema;
}

/**
 * Declares our tools to the AI SDK: one `{ description, inputSchema }` per
 * tool, keyed by name, with no `execute`, so `generateText` returns the calls
 * and `runAiSdkToolCalls` runs them.
 *
 * @param tools - tools from `defineTool`, or a router from `createToolRouter`.
 * @returns the SDK's `tools` option.
 * @example
 * ```ts
 * const step = await generateText({ model, tools: toAiSdkTools([weather]), prompt });
 * ```
 */
export function toAiSdkTools(tools: readonly AnyTool[] | ToolRouter): Record<string, AiSdkToolDeclaration> {
  const router = Array.isArray(tools) ? createToolRouter(tools as readonly AnyTool[]) : (tools as ToolRouter);
  if (typeof router !== 'object' || router === null || !Array.isArray(router.toolSpecs)) {
    throw new TypeError(`Expected \`tools\` to be an array of tools or a router, got \`${String(tools)}\` (${typeof tools})`);
  }
  // fromEntries defines each key as its own property: a tool named `__proto__` is a key like any other.
  return Object.fromEntries(
    router.toolSpecs.map((spec): [string, AiSdkToolDeclaration] => {
      const { name, description, parameters } = spec.function;
      return [name, { description, inputSchema: passThroughSchema(parameters) }];
    }),
  );
}

function passThroughSchema(jsonSchema: Record<string, unknown>): AiSdkPassThroughSchema {
  return {
    '~standard': {
      version: 1,
      vendor: 'xstate-parallel-tools',
      validate: (value) => ({ value }),
      jsonSchema: { input: () => jsonSchema, output: () => jsonSchema },
    },
  };
}
