/**
 * Our tools as Anthropic client tools (`{ name, description, input_schema }`),
 * from the JSON Schema the tool router already exports for OpenAI.
 */
import { createToolRouter, type AnyTool, type FunctionToolSpec, type ToolRouter } from '../../index.js';
import type { AnthropicTool } from './anthropic-shapes.js';

/**
 * Converts OpenAI function specs to Anthropic tools; the model provider uses
 * it on the specs the agent loop hands it.
 *
 * @param specs - function specs, such as a router's `toolSpecs`.
 * @returns one Anthropic tool per spec, in order.
 * @throws `TypeError` for a spec whose parameters are not an object schema (Anthropic requires one).
 * @example
 * ```ts
 * fromFunctionToolSpecs(createToolRouter([weather]).toolSpecs);
 * ```
 */
export function fromFunctionToolSpecs(specs: readonly FunctionToolSpec[]): AnthropicTool[] {
  return specs.map(({ function: { name, description, parameters } }) => {
    if (parameters.type !== 'object') {
      throw new TypeError(
        `Expected the parameters of tool "${name}" to be an object schema (Anthropic tool input is an object), got JSON Schema type ${JSON.stringify(parameters.type)}`,
      );
    }
    return { name, description, input_schema: { ...parameters, type: 'object' } };
  });
}

/**
 * Our tools in Anthropic's shape, for the `tools` of a Messages API request.
 * The JSON Schema is the one the tool router exports (`toolSpecs`).
 *
 * @param tools - tools from `defineTool`, or a router from `createToolRouter`.
 * @returns `{ name, description, input_schema }` per tool, in order.
 * @throws `TypeError` for invalid tools, or a tool whose parameters are not an object schema.
 * @example
 * ```ts
 * const response = await client.messages.create({ model, max_tokens: 1024, tools: toAnthropicTools([weather]), messages });
 * ```
 */
export function toAnthropicTools(tools: readonly AnyTool[] | ToolRouter): AnthropicTool[] {
  const router = Array.isArray(tools) ? createToolRouter(tools as readonly AnyTool[]) : (tools as ToolRouter);
  if (typeof router !== 'object' || router === null || !Array.isArray(router.toolSpecs)) {
    throw new TypeError('Expected `tools` to be an array of tools or a tool router');
  }
  return fromFunctionToolSpecs(router.toolSpecs);
}
