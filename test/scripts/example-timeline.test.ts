import { describe, expect, it } from 'vitest';
import { exampleTimelineEvents } from '../../scripts/example-timeline.js';

describe('exampleTimelineEvents', () => {
  it('runs the 10-call example on the simulated clock to the same events every time', async () => {
    const events = await exampleTimelineEvents();
    const brief = events.map((event) =>
      event.type === 'call.started'
        ? `${event.at} start ${event.id}`
        : event.type === 'call.settled'
          ? `${event.at} ${event.status}${event.failure ? `(${event.failure.kind})` : ''} ${event.id}`
          : event.type === 'batch.settled'
            ? `${event.at} batch ${event.status}`
            : `${event.at} progress ${event.id}`,
    );
    expect(brief).toEqual([
      '0 start call_1',
      '0 start call_2',
      '0 start call_3',
      '0 start call_4',
      '80 succeeded call_3',
      '80 start call_5',
      '120 succeeded call_1',
      '120 start call_6',
      '260 succeeded call_4',
      '260 start call_7',
      '270 succeeded call_6',
      '270 start call_8',
      '320 failed(error) call_7',
      '320 start call_9',
      '340 succeeded call_2',
      '340 start call_10',
      '370 succeeded call_10',
      '540 succeeded call_9',
      '580 failed(timeout) call_5',
      '680 succeeded call_8',
      '680 batch succeeded',
    ]);
    expect(await exampleTimelineEvents()).toEqual(events);
  });
});
