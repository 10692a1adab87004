import { describe, expect, it } from 'vitest';
import { soak } from '../helpers/soak.js';

describe('soak', () => {
  it('runs 10,000 batches back to back with a flat heap and no actors or children left behind', async () => {
    const concurrency = 4;
    const result = await soak({ batches: 10_000, callsPerBatch: 8, concurrency, sampleAt: [1_000, 10_000] });
    const [atThousand, atTenThousand] = result.samples.map((s) => s.heapUsed) as [number, number];
    const growth = (atTenThousand - atThousand) / atThousand;
    console.log(
      `soak: heapUsed after GC ${(atThousand / 1e6).toFixed(2)} MB at batch 1,000, ${(atTenThousand / 1e6).toFixed(2)} MB at batch 10,000, ` +
        `growth ${(100 * growth).toFixed(2)}%; actors left ${result.maxActorsLeft}, children left ${result.maxChildrenLeft}`,
    );
    expect(growth).toBeLessThan(0.05);
    // The tracker saw every batch's actors: the root plus N children at the peak, and none once the batch settled.
    expect([result.peakActors, result.peakChildren]).toEqual([concurrency + 1, concurrency]);
    expect([result.maxActorsLeft, result.maxChildrenLeft]).toEqual([0, 0]);
    // Batch b runs policy b % 3 (joinAll, failFast, settleAll); every fourth batch has a failing call.
    expect(result.outcomes).toEqual({
      'joinAll resolved': 2500,
      'joinAll rejected': 833,
      'failFast resolved': 2500,
      'failFast rejected': 834,
      'settleAll resolved': 3333,
    });
  }, 60_000);
});
