/**
 * The demo conversation and the embedded scripted model's rule: turn 1 asks
 * for eleven tool calls in one assistant message; turn 2 reads the tool
 * messages and answers with a summary. Deterministic: the same conversation
 * always gets the same turn.
 */
import type { AssistantMessage, ChatMessage, ChatToolCall } from '../../core/chat-format.js';

/** The demo's opening messages, which a real model (`--model openai:…`) can follow too. */
export const demoMessages: ChatMessage[] = [
  {
    role: 'system',
    content: 'You are the xstate-parallel-tools demo agent. Call every tool you need in one turn; they run in parallel.',
  },
  {
    role: 'user',
    content:
      'Look at this repository: stat and hash package.json, count the words in README.md and hash it, ' +
      'compute (1 + 2) * 3 ^ 2 / 4 and 2 ^ 10 - 24, call slow for 300 ms and for 2000 ms, call failing once, ' +
      'email the report to ops@example.com, and call flaky, which fails twice before it works. Then summarise what you found.',
  },
];

/** The calls of turn 1, in the order the model asks for them. */
const plannedCalls: Array<[name: string, args: Record<string, unknown>]> = [
  ['stat_file', { path: 'package.json' }],
  ['hash_file', { path: 'package.json' }],
  ['count_words', { path: 'README.md' }],
  ['hash_file', { path: 'README.md' }],
  ['calculate', { expression: '(1 + 2) * 3 ^ 2 / 4' }],
  ['slow', { ms: 300 }],
  ['failing', { reason: 'to show a failed call' }],
  ['slow', { ms: 2000 }],
  ['calculate', { expression: '2 ^ 10 - 24' }],
  ['send_email', { to: 'ops@example.com', subject: 'Repository report' }],
  ['flaky', { failures: 2 }],
];

function describeResult(name: string, result: Record<string, unknown>): string {
  switch (name) {
    case 'stat_file':
      return `${result.path} has ${result.bytes} bytes in ${result.lines} lines`;
    case 'hash_file':
      return `${result.path} has SHA-256 ${String(result.sha256).slice(0, 16)}…`;
    case 'count_words':
      return `${result.path} has ${result.words} words`;
    case 'calculate':
      return `${result.expression} = ${result.value}`;
    case 'slow':
      return `slow waited ${result.waitedMs} ms`;
    case 'send_email':
      return `the email to ${result.to} was approved and ${result.status}`;
    case 'flaky':
      return `flaky answered on attempt ${result.attempt}`;
    default:
      return `${name} answered ${JSON.stringify(result)}`;
  }
}

function parseContent(content: string): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch {
    return content;
  }
}

/** Turn 2: one line per call, from its tool message, then a count. */
function summarise(messages: ChatMessage[]): AssistantMessage {
  const asked = messages.findLast((message): message is AssistantMessage & { tool_calls: ChatToolCall[] } =>
    message.role === 'assistant' && (message.tool_calls?.length ?? 0) > 0,
  );
  const toolCalls = asked?.tool_calls ?? [];
  const replies = new Map(messages.flatMap((message) => (message.role === 'tool' ? [[message.tool_call_id, message.content] as const] : [])));
  let failed = 0;
  const lines = toolCalls.map((toolCall) => {
    const content = replies.get(toolCall.id);
    if (content === undefined) {
      failed++;
      return `- ${toolCall.function.name}: no reply`;
    }
    const reply = parseContent(content);
    const error = typeof reply === 'object' && reply !== null ? (reply as { error?: { kind?: string; message?: string } }).error : undefined;
    if (error !== undefined) {
      failed++;
      return `- ${toolCall.function.name} failed (${error.kind}): ${error.message}`;
    }
    return `- ${typeof reply === 'object' && reply !== null ? describeResult(toolCall.function.name, reply as Record<string, unknown>) : `${toolCall.function.name} answered ${content}`}`;
  });
  const count = `${toolCalls.length - failed} of ${toolCalls.length} calls succeeded${failed > 0 ? `; ${failed} failed, and I read their errors` : ''}.`;
  return { role: 'assistant', content: ['Here is what the tools found:', ...lines, count].join('\n') };
}

/**
 * The scripted model's rule for the demo: at step 1, eleven tool calls in one
 * assistant turn; afterwards, a summary of the tool messages with no tool calls.
 *
 * @param messages - the conversation so far.
 * @param step - the model call's number, from 1.
 * @returns the assistant's turn.
 * @example
 * ```ts
 * const model = createScriptedModel(demoScript, { name: 'scripted demo' });
 * const output = await runAgent({ model, tools: createDemoTools(), messages: demoMessages, policy: 'settleAll' });
 * ```
 */
export function demoScript(messages: ChatMessage[], step: number): AssistantMessage {
  if (step > 1) return summarise(messages);
  return {
    role: 'assistant',
    content: null,
    tool_calls: plannedCalls.map(([name, args], index) => ({
      id: `call_${index + 1}`,
      type: 'function',
      function: { name, arguments: JSON.stringify(args) },
    })),
  };
}
