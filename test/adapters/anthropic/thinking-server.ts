/**
 * A Messages API on 127.0.0.1 with extended thinking, enforcing what the API
 * documents for it: with `thinking` enabled, the assistant turn whose
 * `tool_use` blocks the conversation is answering must start with a thinking
 * (or redacted thinking) block, and every thinking block sent back must be
 * the one the API gave out, with its signature. It answers a request that
 * breaks either rule with the API's 400 `invalid_request_error`.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { apiMessage } from './helpers.js';

/** What the rule-breaking request is told, as the API words it. */
export const thinkingRuleMessage = (index: number, found: string): string =>
  `messages.${index}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${found}\`. ` +
  'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). ' +
  'We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. ' +
  'Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

/** The signature the server gives a thinking text: only the server can make it. */
export const signatureOf = (thinking: string): string => createHash('sha256').update(`server-secret\n${thinking}`).digest('base64');

type Block = Record<string, unknown> & { type: string };
type Message = { role: string; content: string | Block[] };

/** Why the API would refuse these messages, or `undefined`. */
function violation(messages: Message[]): string | undefined {
  for (const [i, message] of messages.entries()) {
    if (message.role !== 'assistant' || typeof message.content === 'string') continue;
    for (const [j, block] of message.content.entries()) {
      if (block.type === 'thinking' && block.signature !== signatureOf(String(block.thinking))) {
        return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      }
    }
  }
  // The final assistant turn, when the user message after it answers its tool_use blocks.
  const last = messages.findLastIndex((message) => message.role === 'assistant');
  const answer = messages[last + 1];
  const answering = answer !== undefined && Array.isArray(answer.content) && answer.content.some((block) => block.type === 'tool_result');
  if (last === -1 || !answering) return undefined;
  const content = messages[last]!.content;
  const first = typeof content === 'string' ? 'text' : content[0]?.type ?? 'nothing';
  return first === 'thinking' || first === 'redacted_thinking' ? undefined : thinkingRuleMessage(last, first);
}

/**
 * Starts the server. Each reply is a list of content blocks; a `thinking`
 * block gets its signature from the server.
 *
 * @param turns - the assistant turns, in the order of the requests the API accepts.
 * @returns the server (`seen`: every request body; `close()`), and `client()`, a real Anthropic client pointed at it.
 */
export async function startThinkingServer(turns: Block[][]) {
  const seen: Array<{ thinking?: unknown; messages: Message[] }> = [];
  let answered = 0;
  const server: Server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      const body = JSON.parse(text) as { thinking?: { type?: string }; messages: Message[] };
      seen.push(body);
      const problem = body.thinking?.type === 'enabled' ? violation(body.messages) : undefined;
      const turn = problem === undefined ? turns[answered++] : undefined;
      const [status, reply] =
        problem !== undefined
          ? [400, { type: 'error', error: { type: 'invalid_request_error', message: problem } }]
          : turn === undefined
            ? [500, { type: 'error', error: { type: 'api_error', message: `no reply ${answered - 1}` } }]
            : [200, apiMessage(turn.map((block) => (block.type === 'thinking' ? { ...block, signature: signatureOf(String(block.thinking)) } : block)))];
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    client: () => new Anthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: 'sk-ant-test', maxRetries: 0 }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
