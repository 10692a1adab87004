import { describe, expect, it } from 'vitest';
import { runToolUses } from 'xstate-parallel-tools/anthropic';
import { controlledWeather, toolUse, until, weather } from './helpers.js';

describe('runToolUses', () => {
  it('runs the blocks as one batch, at most `concurrency` at once, and returns the reply in block order', async () => {
    const { tool, state, open } = controlledWeather();
    const message = { content: [{ type: 'text', text: 'Looking up four cities.' }, ...['Oslo', 'Lima', 'Reykjavik', 'Bergen'].map((city, i) => toolUse(`toolu_${i + 1}`, city))] };
    const reply = runToolUses(message, { tools: [tool], concurrency: 2 });
    await until(() => state.running === 2);
    expect(state.started).toEqual(['Oslo', 'Lima']);
    open('Lima');
    await until(() => state.started.length === 3);
    open('Reykjavik');
    open('Bergen');
    await until(() => state.started.length === 4);
    open('Oslo');
    expect(await reply).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Oslo","celsius":12}' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"city":"Lima","celsius":12}' },
        { type: 'tool_result', tool_use_id: 'toolu_3', content: '{"city":"Reykjavik","celsius":27}' },
        { type: 'tool_result', tool_use_id: 'toolu_4', content: '{"city":"Bergen","celsius":18}' },
      ],
    });
    expect(state.peak).toBe(2);
    expect(state.finished).toEqual(['Lima', 'Reykjavik', 'Bergen', 'Oslo']);
  });

  it('returns null for a message without tool_use blocks, without running anything', async () => {
    const { tool, state } = controlledWeather();
    expect(await runToolUses({ content: [{ type: 'text', text: 'Done.' }] }, { tools: [tool] })).toBeNull();
    expect(state.started).toEqual([]);
  });

  it('answers every tool_use block under failFast (the default): the failure, and aborted for the call it stopped and the one it never started', async () => {
    const { tool, state, open } = controlledWeather();
    const message = { content: [toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Atlantis'), toolUse('toolu_3', 'Lima')] };
    const reply = runToolUses(message, { tools: [tool], concurrency: 2 });
    await until(() => state.running === 2);
    open('Atlantis');
    expect(await reply).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"error":{"kind":"aborted","message":"aborted before it settled: the batch ended"}}', is_error: true },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"error":{"kind":"error","message":"no weather station in Atlantis"}}', is_error: true },
        { type: 'tool_result', tool_use_id: 'toolu_3', content: '{"error":{"kind":"aborted","message":"no result: the tool batch ended before this call settled"}}', is_error: true },
      ],
    });
    expect(state.started).toEqual(['Oslo', 'Atlantis']);
  });

  it('answers every tool_use block under joinAll, keeping the successes', async () => {
    const reply = await runToolUses({ content: [toolUse('toolu_1', 'Atlantis'), toolUse('toolu_2', 'Oslo')] }, { tools: [weather], policy: 'joinAll' });
    expect(reply).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"error":{"kind":"error","message":"no weather station in Atlantis"}}', is_error: true },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"city":"Oslo","celsius":12}' },
      ],
    });
  });

  it("rejects with the signal's reason when aborted, aborting the running calls", async () => {
    const { tool, state } = controlledWeather();
    const controller = new AbortController();
    const reply = runToolUses({ content: [toolUse('toolu_1', 'Oslo'), toolUse('toolu_2', 'Lima')] }, { tools: [tool], signal: controller.signal }).catch((e: unknown) => e);
    await until(() => state.running === 2);
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    expect(await reply).toBe(reason);
    await until(() => state.running === 0);
    expect(state.finished).toEqual([]);
  });
});
