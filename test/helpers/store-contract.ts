/**
 * What every `RunStore` promises, as one suite that each store's test file
 * runs with its own factory: the file store, the Redis store and the
 * Postgres store pass the same tests.
 *
 * - save, load and delete round-trip a checkpoint; a missing run loads as `undefined`;
 * - what is kept and is not a checkpoint (empty, cut short, garbage, the
 *   wrong shape) is a `RunCheckpointError` naming the run and its location,
 *   and is left as it is;
 * - one owner per run: a second owner is refused while the first holds the
 *   run; a release or an expiry lets another owner take it; renewing after a
 *   takeover rejects; of two `lease()` calls at once exactly one wins.
 *
 * The expiry tests wait for the store's own clock to pass a short `ttlMs`:
 * the one place these tests wait in real time.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunCheckpointError, RunLeaseError, type RunCheckpoint, type RunLease, type RunStore } from '../../src/runtime/run-store.js';

/** A store under test, and the ways the suite reaches past it. */
export interface StoreUnderTest {
  /** The store. */
  store: RunStore;
  /** Another store over the same data, as a second process would open it. */
  second: RunStore;
  /** Puts `text` where the store keeps the run's checkpoint, as a torn or foreign write would. */
  writeRaw(runId: string, text: string): Promise<void>;
  /** Reads back what is kept there, as text (`undefined` when nothing is). */
  readRaw(runId: string): Promise<string | undefined>;
  /** Where the store says the run's checkpoint is kept (`RunCheckpointError.location`). */
  location(runId: string): string;
  /** Closes what the factory opened. */
  close(): Promise<void>;
}

const checkpoint: RunCheckpoint = { version: 1, kind: 'batch', snapshot: { status: 'active', context: { limit: null, note: 'naïve ✓ \u0000' } } };

/** A run id no other test of the suite uses. */
const freshRun = (): string => `run-${randomUUID().slice(0, 8)}`;

/** Polls `lease()` on `store` until it succeeds (the first owner's lease expired), for at most 5 s. */
async function takeOnceExpired(store: RunStore, runId: string, ttlMs: number): Promise<RunLease> {
  for (let waited = 0; ; waited += 10) {
    try {
      return await store.lease(runId, { ttlMs });
    } catch (error) {
      if (!RunLeaseError.isInstance(error) || waited >= 5_000) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Registers the store contract's tests for one store.
 *
 * @param name - the store, as the suite's title shows it.
 * @param open - makes a fresh store under test; called once for the suite.
 */
export function runStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name}: the RunStore contract`, () => {
    let subject: StoreUnderTest;
    beforeAll(async () => {
      subject = await open();
    });
    afterAll(async () => {
      await subject?.close();
    });

    describe('checkpoints', () => {
      it('saves, loads, replaces and deletes a checkpoint', async () => {
        const { store, second } = subject;
        const runId = freshRun();
        await store.save(runId, checkpoint);
        expect(await store.load(runId)).toEqual(checkpoint);
        // Another process sees the same checkpoint.
        expect(await second.load(runId)).toEqual(checkpoint);
        await store.save(runId, { ...checkpoint, kind: 'agent', snapshot: { status: 'done' } });
        expect(await store.load(runId)).toEqual({ version: 1, kind: 'agent', snapshot: { status: 'done' } });
        await store.delete(runId);
        expect(await store.load(runId)).toBeUndefined();
      });

      it('loads a run that was never saved as undefined, and deletes it without complaint', async () => {
        const runId = freshRun();
        expect(await subject.store.load(runId)).toBeUndefined();
        await subject.store.delete(runId);
        expect(await subject.store.load(runId)).toBeUndefined();
      });

      it('keeps runs apart', async () => {
        const [one, two] = [freshRun(), freshRun()];
        await subject.store.save(one, checkpoint);
        expect(await subject.store.load(two)).toBeUndefined();
        await subject.store.save(two, { ...checkpoint, kind: 'agent' });
        expect((await subject.store.load(one))?.kind).toBe('batch');
      });

      it('refuses a bad run id with a TypeError that shows it', async () => {
        const refusal = new TypeError('Expected `runId` to be 1–200 letters, digits, ".", "_", ":" or "-", starting with a letter or digit, got `"../x"` (string)');
        await expect(subject.store.load('../x')).rejects.toThrow(refusal);
        await expect(subject.store.save('../x', checkpoint)).rejects.toThrow(refusal);
        await expect(subject.store.lease('../x', { ttlMs: 1_000 })).rejects.toThrow(refusal);
      });

      it.each([
        ['empty', '', 'it is empty'],
        ['blank', ' \n', 'it is empty'],
        ['cut short', '{"version":1,"kind":"batch","snap', 'it is not JSON ('],
        ['garbage', 'not a checkpoint', 'it is not JSON ('],
        ['an array', '[1,2]', 'expected a JSON object, got `an array` (array)'],
        ['of another version', '{"version":2,"kind":"batch","snapshot":{}}', 'expected `version` 1, got `2` (number)'],
        ['of an unknown kind', '{"version":1,"kind":"job","snapshot":{}}', 'expected `kind` "batch" or "agent", got `"job"` (string)'],
        ['without a snapshot', '{"version":1,"kind":"batch"}', 'expected `snapshot` to be an object, got `undefined` (undefined)'],
      ])('reads a checkpoint that is %s as a RunCheckpointError naming the run and where it is kept, and leaves it as it is', async (_what, text, problem) => {
        const runId = freshRun();
        await subject.writeRaw(runId, text);
        const error = await subject.store.load(runId).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(RunCheckpointError.isInstance(error)).toBe(true);
        const { runId: named, location, message } = error as RunCheckpointError;
        expect({ runId: named, location }).toEqual({ runId, location: subject.location(runId) });
        expect(message.startsWith(`The checkpoint of run "${runId}" (${subject.location(runId)}) cannot be read: ${problem}`)).toBe(true);
        expect(message.endsWith('. It is left as it is; delete it to start the run afresh.')).toBe(true);
        expect(await subject.readRaw(runId)).toBe(text);
      });
    });

    describe('the lease', () => {
      it('refuses a second owner while the first holds the run, with a RunLeaseError that names it', async () => {
        const runId = freshRun();
        const first = await subject.store.lease(runId, { ttlMs: 30_000 });
        expect({ runId: first.runId, owner: typeof first.owner }).toEqual({ runId, owner: 'string' });
        for (const store of [subject.second, subject.store]) {
          const error = await store.lease(runId, { ttlMs: 30_000 }).then(
            () => undefined,
            (thrown: unknown) => thrown,
          );
          expect(RunLeaseError.isInstance(error)).toBe(true);
          expect((error as RunLeaseError).runId).toBe(runId);
          expect((error as RunLeaseError).message).toContain(`Run "${runId}" is held by another owner`);
        }
        await first.renew();
        await first.release();
      });

      it('lets another owner take the run once the first releases it, and never takes it back from them', async () => {
        const runId = freshRun();
        const first = await subject.store.lease(runId, { ttlMs: 30_000 });
        await first.release();
        const second = await subject.second.lease(runId, { ttlMs: 30_000 });
        // A release of a lease already given up changes nothing.
        await first.release();
        await expect(subject.store.lease(runId, { ttlMs: 30_000 })).rejects.toMatchObject({ name: 'RunLeaseError', runId });
        await expect(first.renew()).rejects.toMatchObject({ name: 'RunLeaseError', runId });
        await second.renew();
        await second.release();
      });

      it('lets another owner take the run once the first lease expires; the first owner then cannot renew', async () => {
        const runId = freshRun();
        const first = await subject.store.lease(runId, { ttlMs: 150 });
        await expect(subject.second.lease(runId, { ttlMs: 150 })).rejects.toMatchObject({ name: 'RunLeaseError', runId });
        const second = await takeOnceExpired(subject.second, runId, 30_000);
        const error = await first.renew().then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(RunLeaseError.isInstance(error)).toBe(true);
        expect(error).toMatchObject({ runId, message: `Run "${runId}" was taken over by another owner: this owner's lease expired before it was renewed` });
        // The first owner's release does not free the run of its new owner.
        await first.release();
        await expect(subject.store.lease(runId, { ttlMs: 30_000 })).rejects.toMatchObject({ name: 'RunLeaseError', runId });
        await second.renew();
        await second.release();
      });

      it('gives a run to exactly one of two owners that take it at once', async () => {
        const runIds = Array.from({ length: 8 }, freshRun);
        const outcomes = await Promise.all(
          runIds.map((runId) => Promise.allSettled([subject.store.lease(runId, { ttlMs: 30_000 }), subject.second.lease(runId, { ttlMs: 30_000 })])),
        );
        for (const [index, pair] of outcomes.entries()) {
          const won = pair.filter((outcome) => outcome.status === 'fulfilled');
          const lost = pair.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect(lost[0]!.reason).toMatchObject({ name: 'RunLeaseError', runId: runIds[index] });
          await (won[0] as PromiseFulfilledResult<RunLease>).value.release();
        }
      });

      it('refuses a ttlMs that is not an integer from 1 up', async () => {
        await expect(subject.store.lease(freshRun(), { ttlMs: 0 })).rejects.toThrow(new TypeError('Expected `ttlMs` to be an integer from 1 up, got `0` (number)'));
      });
    });
  });
}
