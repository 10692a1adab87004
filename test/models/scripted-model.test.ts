import { describe, expect, it } from 'vitest';
import { createScriptedModel } from '../../src/models/scripted-model.js';
import type { AssistantMessage, ChatMessage } from '../../src/core/chat-format.js';

const user: ChatMessage = { role: 'user', content: 'go' };
const turn1: AssistantMessage = {
  role: 'assistant',
  content: null,
  tool_calls: [{ id: 'c1', type: 'function', function: { name: 'add', arguments: '{}' } }],
};
const turn2: AssistantMessage = { role: 'assistant', content: 'done' };
const request = (messages: ChatMessage[], signal = new AbortController().signal) => ({ messages, tools: [], signal });

describe('createScriptedModel', () => {
  it('picks the turn from the number of assistant messages in the conversation, so one model serves many runs', async () => {
    const model = createScriptedModel([turn1, turn2]);
    expect(model.name).toBe('scripted');
    expect(await model.complete(request([user]))).toEqual({ message: turn1 });
    expect(await model.complete(request([user, turn1, { role: 'tool', tool_call_id: 'c1', content: '1' }]))).toEqual({ message: turn2 });
    expect(await model.complete(request([user]))).toEqual({ message: turn1 });
  });

  it('returns a copy of each turn, so the script is never shared with a conversation', async () => {
    const model = createScriptedModel([turn1]);
    const { message } = await model.complete(request([user]));
    expect(message).toEqual(turn1);
    expect(message).not.toBe(turn1);
    expect(message.tool_calls).not.toBe(turn1.tool_calls);
  });

  it('rejects when the script has no turn left', async () => {
    const model = createScriptedModel([turn1]);
    await expect(model.complete(request([user, turn1]))).rejects.toEqual(new Error('The scripted model has no turn 2: its script has 1'));
  });

  it('asks a rule for each turn with the conversation and a step counted from 1', async () => {
    const seen: Array<[number, number]> = [];
    const model = createScriptedModel(
      (messages, step) => {
        seen.push([messages.length, step]);
        return { role: 'assistant', content: `step ${step}` };
      },
      { name: 'rule' },
    );
    expect(model.name).toBe('rule');
    expect(await model.complete(request([user]))).toEqual({ message: { role: 'assistant', content: 'step 1' } });
    expect(await model.complete(request([user, turn1, turn2]))).toEqual({ message: { role: 'assistant', content: 'step 3' } });
    expect(seen).toEqual([
      [1, 1],
      [3, 3],
    ]);
  });

  it('rejects with a TypeError when a turn is not an assistant message', async () => {
    const model = createScriptedModel(() => ({ role: 'user', content: 'x' }) as unknown as AssistantMessage);
    await expect(model.complete(request([user]))).rejects.toEqual(
      new TypeError('Expected the script\'s turn 1 to be an assistant message, got `an object` (object)'),
    );
  });

  it('rejects with signal.reason when the signal is aborted', async () => {
    const reason = new Error('stop');
    await expect(createScriptedModel([turn1]).complete(request([user], AbortSignal.abort(reason)))).rejects.toBe(reason);
  });

  it('throws a TypeError for a script that is neither an array nor a function', () => {
    expect(() => createScriptedModel('turns' as unknown as AssistantMessage[])).toThrow(
      new TypeError('Expected `script` to be an array of assistant messages or a function, got `"turns"` (string)'),
    );
  });
});
