/**
 * What the model gets from an MCP tool result, and when the result is a failure.
 */
import type { CallToolResult, CompatibilityCallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ToolCallError } from '../../index.js';

/**
 * The value a call's `ToolOutput.result` holds for an MCP tool result.
 *
 * - `isError: true` throws `ToolCallError('error', text)`, where `text` is the
 *   result's text blocks joined with newlines, so the call fails with the
 *   server's own words. (`details` holds the whole result.)
 * - `structuredContent`, when present, is the value: it is the tool's typed
 *   answer, and servers that send it usually repeat it as text only for
 *   clients that cannot read it.
 * - Otherwise, when every content block is text, the texts joined with
 *   newlines (`''` for no content).
 * - Otherwise (images, audio, resources, links), the content array as is, so
 *   nothing the server sent is lost.
 * - A result in the 2024-10-07 protocol's form (`toolResult`) gives its `toolResult`.
 *
 * @param toolName - the MCP tool's name, for the message of an error without text.
 * @param result - what `client.callTool` resolved with.
 * @returns the JSON value the model gets.
 * @throws `ToolCallError` of kind `error` when `result.isError` is true.
 * @example
 * ```ts
 * toolResultValue('add', { content: [{ type: 'text', text: '5' }] }); // '5'
 * ```
 */
export function toolResultValue(toolName: string, result: CallToolResult | CompatibilityCallToolResult): unknown {
  if (!('content' in result)) return result.toolResult;
  const { content } = result as CallToolResult;
  if (result.isError === true) {
    const text = textOf(content);
    throw new ToolCallError('error', text === '' ? `MCP tool "${toolName}" returned an error without text` : text, { details: result });
  }
  if (result.structuredContent !== undefined) return result.structuredContent;
  return content.every((block) => block.type === 'text') ? textOf(content) : content;
}

/** The text blocks joined with newlines; other blocks are left out. */
function textOf(content: CallToolResult['content']): string {
  return content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
}
