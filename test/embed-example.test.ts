import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { forecast, forecastMachine } from '../examples/embed-in-your-machine.js';

describe('examples/embed-in-your-machine', () => {
  it('answers from the batch output, in input order, when every call succeeds', async () => {
    expect(await forecast(['Oslo', 'Lima', 'Reykjavik'])).toEqual({
      status: 'answered',
      reply: 'Oslo 12°C, Lima 12°C, Reykjavik 27°C',
    });
  });

  it('goes to its failed-tagged state when the batch output is failed, keeping the successes', async () => {
    const actor = createActor(forecastMachine, { input: { cities: ['Atlantis', 'Oslo'] } }).start();
    const output = await toPromise(actor);
    expect(actor.getSnapshot().value).toBe('toolsFailed');
    expect(actor.getSnapshot().hasTag('failed')).toBe(true);
    expect(output).toMatchObject({
      status: 'toolsFailed',
      reply: '1 look-up(s) failed (no weather station in Atlantis); got Oslo 12°C',
      failures: [{ index: 0, id: 'call_1', name: 'weather', kind: 'error', message: 'no weather station in Atlantis' }],
    });
  });

  it('handles a batch that cannot start (onError) in the same failed state', async () => {
    const actor = createActor(forecastMachine, { input: { cities: ['Oslo'], concurrency: 0 } }).start();
    const output = await toPromise(actor);
    expect(actor.getSnapshot().hasTag('failed')).toBe(true);
    expect(output).toEqual({
      status: 'toolsFailed',
      reply: 'the batch could not start: Expected `concurrency` to be an integer from 1 and up or `Infinity`, got `0` (number)',
      failures: [],
    });
  });
});
