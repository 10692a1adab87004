/**
 * A chat conversation as plain text for a terminal: one block per message,
 * tool calls and tool replies named by call id and tool.
 */
import type { ChatMessage } from '../../core/chat-format.js';

/**
 * Formats a conversation for reading.
 *
 * @param messages - the conversation, in OpenAI chat format.
 * @returns the text, ending with a newline: a `── role` heading per message, then its content.
 * @example
 * ```ts
 * formatConversation([{ role: 'user', content: 'Hi' }]); // '── user\nHi\n'
 * ```
 */
export function formatConversation(messages: readonly ChatMessage[]): string {
  const toolNames = new Map<string, string>();
  const blocks = messages.map((message) => {
    switch (message.role) {
      case 'system':
      case 'user':
        return `── ${message.role}\n${message.content}`;
      case 'assistant': {
        const calls = message.tool_calls ?? [];
        for (const call of calls) toolNames.set(call.id, call.function.name);
        const heading = calls.length > 0 ? `── assistant (${calls.length} tool ${calls.length === 1 ? 'call' : 'calls'})` : '── assistant';
        const idWidth = Math.max(0, ...calls.map((call) => call.id.length));
        const lines = calls.map((call) => `  ${call.id.padEnd(idWidth)}  ${call.function.name}(${call.function.arguments})`);
        return [heading, ...(message.content ? [message.content] : []), ...lines].join('\n');
      }
      case 'tool':
        return `── tool ${message.tool_call_id} ${toolNames.get(message.tool_call_id) ?? ''}`.trimEnd() + `\n${message.content}`;
    }
  });
  return `${blocks.join('\n')}\n`;
}
