import { afterEach, describe, expect, it } from 'vitest';
import { defineTool, resumeAgent, runAgent, type ChatMessage } from 'xstate-parallel-tools';
import { createAnthropicModel, toAnthropicMessages, toAssistantMessage } from 'xstate-parallel-tools/anthropic';
import { question, toolUse, weather } from './helpers.js';
import { signatureOf, startThinkingServer, thinkingRuleMessage } from './thinking-server.js';

let server: Awaited<ReturnType<typeof startThinkingServer>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const thinking = { type: 'thinking', thinking: 'Two cities: ask for both at once.' };
const redacted = { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' };
/** The first turn as the API answers it, and as the next request must carry it back. */
const firstTurn = [thinking, redacted, { type: 'text', text: 'Checking.' }, toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Lima')];
const signedFirstTurn = [{ ...thinking, signature: signatureOf(thinking.thinking) }, ...firstTurn.slice(1)];
const results = {
  role: 'user',
  content: [
    { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
    { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"city":"Lima","celsius":12}' },
  ],
};
const params = { thinking: { type: 'enabled', budget_tokens: 1024 } } as const;

describe('createAnthropicModel with extended thinking', () => {
  it('the server enforces the rule: a turn sent back without its thinking block is a 400', async () => {
    server = await startThinkingServer([]);
    const error = await server
      .client()
      .messages.create({
        model: 'claude-test',
        max_tokens: 2048,
        ...params,
        messages: [{ role: 'user', content: String(question.content) }, { role: 'assistant', content: [toolUse('toolu_1', 'Oslo')] as never }, results as never],
      })
      .catch((e: unknown) => e);
    expect([(error as { status?: number }).status, (error as { error?: { error?: { message?: string } } }).error?.error?.message]).toEqual([
      400,
      thinkingRuleMessage(1, 'tool_use'),
    ]);
  });

  it('sends every block of a turn with thinking back in order, signature included, and the run ends done', async () => {
    server = await startThinkingServer([firstTurn, [{ type: 'text', text: 'Both are at 12°C.' }]]);
    const output = await runAgent({
      model: createAnthropicModel({ client: server.client(), model: 'claude-test', maxTokens: 2048, params }),
      tools: [weather],
      messages: [question],
    });
    expect(output.status).toBe('done');
    expect(output.messages.at(-1)).toEqual({ role: 'assistant', content: 'Both are at 12°C.' });
    expect(output.messages[1]).toEqual({
      role: 'assistant',
      content: 'Checking.',
      tool_calls: [
        { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
        { id: 'toolu_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Lima"}' } },
      ],
      anthropic_content: signedFirstTurn,
    });
    expect(server.seen.map((body) => body.messages)).toEqual([
      [{ role: 'user', content: question.content }],
      [{ role: 'user', content: question.content }, { role: 'assistant', content: signedFirstTurn }, results],
    ]);
  });

  it('keeps the thinking blocks through a checkpoint: a run paused for an approval resumes from JSON and is accepted', async () => {
    server = await startThinkingServer([firstTurn, [{ type: 'text', text: 'Both are at 12°C.' }]]);
    const guarded = defineTool({ ...weather, needsApproval: true });
    const model = createAnthropicModel({ client: server.client(), model: 'claude-test', maxTokens: 2048, params });
    const paused = await runAgent({ model, tools: [guarded], messages: [question] });
    expect(paused.status).toBe('awaitingApproval');
    const state: unknown = JSON.parse(JSON.stringify((paused as { state: unknown }).state));
    const output = await resumeAgent(state, { model, tools: [guarded], decisions: { toolu_1: true, toolu_2: true } });
    expect(output.status).toBe('done');
    expect(server.seen[1]!.messages[1]).toEqual({ role: 'assistant', content: signedFirstTurn });
  });
});

describe('toAssistantMessage and toAnthropicMessages with thinking', () => {
  it('keeps the blocks only for a turn with thinking, and refuses kept blocks whose tool_use blocks are not the tool_calls', () => {
    expect('anthropic_content' in toAssistantMessage({ content: [{ type: 'text', text: 'Hi' }, toolUse('toolu_1', 'Oslo')] })).toBe(false);
    const message = toAssistantMessage({ content: signedFirstTurn });
    expect(message.anthropic_content).toEqual(signedFirstTurn);
    const edited: ChatMessage[] = [{ ...message, tool_calls: message.tool_calls!.slice(0, 1) }];
    expect(() => toAnthropicMessages(edited)).toThrow(
      new TypeError('Expected the tool_use blocks of `anthropic_content` (["toolu_1","toolu_2"]) to be the message\'s tool_calls (["toolu_1"])'),
    );
  });
});
