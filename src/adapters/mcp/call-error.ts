/**
 * What a failed `callTool` request becomes: a timeout, a closed connection,
 * or the SDK's own error as it is.
 */
import { ToolCallError } from '../../index.js';

/**
 * JSON-RPC error codes the SDK rejects with (its `ErrorCode` enum). Compared by
 * value, not `instanceof McpError`, so that a second copy of the SDK still matches.
 */
const connectionClosedCode = -32000;
const requestTimeoutCode = -32001;

/**
 * Maps what `client.callTool` rejected with to what the call fails with.
 *
 * - After the batch aborted the call (timeout, failFast, cancel), the error is
 *   returned as it is: the batch has already settled the call, and ignores it.
 * - The SDK's request timeout (only armed with `resetTimeoutOnProgress`)
 *   becomes kind `timeout`.
 * - A connection that closed under the call (the server exited or the
 *   transport was closed), or that was already closed when it started, becomes
 *   kind `error` with a message that says so. (A server's own JSON-RPC error
 *   may use the same code as the SDK's "Connection closed", so the code is
 *   checked together with the client having lost its transport.)
 * - Anything else (a JSON-RPC error from the server, an invalid result) is
 *   returned as it is, and fails the call with kind `error` and its message.
 *
 * @param error - the rejection of `client.callTool`.
 * @param context - the call's signal, the timeout the SDK enforced, and
 *   whether the client still has a transport after the failure.
 * @returns the error to throw from the tool's `execute`.
 * @example
 * ```ts
 * try { await client.callTool(params, undefined, options); }
 * catch (error) { throw callError(error, { signal, timeoutMs: 1_000, connected: client.transport !== undefined }); }
 * ```
 */
export function callError(
  error: unknown,
  context: { signal: AbortSignal; timeoutMs: number | undefined; connected: boolean },
): unknown {
  if (context.signal.aborted) return error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === requestTimeoutCode && context.timeoutMs !== undefined) {
    return new ToolCallError('timeout', `the MCP server sent neither a result nor progress for ${context.timeoutMs} ms`, { cause: error });
  }
  if (!context.connected) {
    const message = code === connectionClosedCode ? 'the MCP connection closed before the tool answered' : 'the MCP client is not connected';
    return new ToolCallError('error', message, { cause: error });
  }
  return error;
}
