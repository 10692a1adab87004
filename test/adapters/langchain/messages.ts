/**
 * Message helpers shared by the LangChain adapter's tests.
 */
import { AIMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';

/** An AI message that asks for `lookup` calls with these ids (the key is the id). */
export function askFor(ids: string[], name = 'lookup'): AIMessage {
  return new AIMessage({ content: '', tool_calls: ids.map((id) => ({ id, name, args: { key: id }, type: 'tool_call' as const })) });
}

/** The fields of a message that the conversation is about. */
export function summary(message: BaseMessage) {
  if (ToolMessage.isInstance(message)) {
    return { type: 'tool', tool_call_id: message.tool_call_id, name: message.name, status: message.status, content: message.content };
  }
  if (AIMessage.isInstance(message)) {
    return { type: 'ai', content: message.content, tool_calls: (message.tool_calls ?? []).map(({ id, name, args }) => ({ id, name, args })) };
  }
  return { type: message.getType(), content: message.content };
}

/** The content of an error ToolMessage. */
export const errorContent = (kind: string, message: string) => JSON.stringify({ error: { kind, message } });
