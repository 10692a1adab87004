/**
 * A durable run's checkpoint and owner, as `runToolBatch` and `runAgent`
 * meet them through the file store: a checkpoint that cannot be read stops
 * the run with an error that names the run and the file (and leaves the file
 * as it was); a lease held elsewhere stops a second owner; an expired lease
 * is taken over; a run whose lease is lost stops.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFileStore, runAgent, RunCheckpointError, RunLeaseError, runToolBatch, type RunStore } from '../../src/index.js';
import { createScriptedModel } from '../../src/testing/index.js';
import { echo, good, goodOutput, starts } from '../helpers/good-calls.js';
import { guardUnhandled } from '../helpers/unhandled.js';

guardUnhandled();

const dirs: string[] = [];
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xpt-own-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a checkpoint that cannot be read', () => {
  it.each([
    ['truncated', '{"version":1,"kind":"batch","snapshot":{"sta', /it is not JSON \(.+\)/],
    ['empty', '', /it is empty/],
    ['garbage', 'not a checkpoint', /it is not JSON \(.+\)/],
    ['null', 'null', /expected a JSON object, got `null` \(null\)/],
    ['an array', '[]', /expected a JSON object, got/],
    ['without a version', '{"kind":"batch","snapshot":{}}', /expected `version` 1, got `undefined` \(undefined\)/],
    ['of another kind', '{"version":1,"kind":"chat","snapshot":{}}', /expected `kind` "batch" or "agent", got `"chat"` \(string\)/],
    ['without a snapshot', '{"version":1,"kind":"batch"}', /expected `snapshot` to be an object, got `undefined` \(undefined\)/],
  ])('stops a run whose checkpoint is %s, naming the run and the file, and leaves the file alone', async (_, text, problem) => {
    const dir = newDir();
    const file = join(dir, 'run-7.json');
    writeFileSync(file, text);
    starts.count = 0;
    const error = await runToolBatch([good(0)], { tools: [echo], store: createFileStore(dir), runId: 'run-7' }).catch((thrown: unknown) => thrown);
    expect(RunCheckpointError.isInstance(error)).toBe(true);
    const { runId, location, message } = error as RunCheckpointError;
    expect({ runId, location }).toEqual({ runId: 'run-7', location: `file ${file}` });
    expect(message).toMatch(new RegExp(`^The checkpoint of run "run-7" \\(file ${file.replaceAll('/', '\\/')}\\) cannot be read: `));
    expect(message).toMatch(problem);
    expect(starts.count).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('stops an agent run the same way, before the model is called', async () => {
    const dir = newDir();
    writeFileSync(join(dir, 'agent-1.json'), '{"version":1,');
    let calls = 0;
    const model = createScriptedModel(() => {
      calls++;
      return { role: 'assistant', content: 'hi' };
    });
    const error = await runAgent({ model, tools: [echo], messages: [{ role: 'user', content: 'hi' }], store: createFileStore(dir), runId: 'agent-1' }).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toMatchObject({ name: 'RunCheckpointError', runId: 'agent-1', location: `file ${join(dir, 'agent-1.json')}` });
    expect(calls).toBe(0);
  });
});

describe('the file store lease', () => {
  it('refuses a second owner while the first lives, and lets one in once it is released', async () => {
    const store = createFileStore(newDir());
    const first = await store.lease('run-1', { ttlMs: 60_000 });
    const refused = await store.lease('run-1', { ttlMs: 60_000 }).catch((thrown: unknown) => thrown);
    expect(RunLeaseError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({ runId: 'run-1', message: expect.stringMatching(new RegExp(`^Run "run-1" is held by another owner \\(process ${process.pid} on `)) as unknown });
    // Another run is free.
    await (await store.lease('run-2', { ttlMs: 60_000 })).release();
    await first.release();
    const second = await store.lease('run-1', { ttlMs: 60_000 });
    expect(second.owner).not.toBe(first.owner);
    await second.release();
  });

  it('lets exactly one of many owners that ask at once take a run', async () => {
    const store = createFileStore(newDir());
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.lease('run-1', { ttlMs: 60_000 })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected').map((result) => (result as PromiseRejectedResult).reason.name)).toEqual(Array(7).fill('RunLeaseError'));
  });

  it('is taken over once it expires unrenewed, and its old owner learns so on its next renewal', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = createFileStore(newDir());
    const old = await store.lease('run-1', { ttlMs: 1_000 });
    // A holder on another host cannot be checked for life: only expiry frees it.
    const dir = dirs.at(-1)!;
    const leaseFile = join(dir, 'run-1.lease.1');
    const holder = JSON.parse(readFileSync(leaseFile, 'utf8')) as { host: string };
    writeFileSync(leaseFile, JSON.stringify({ ...holder, host: 'elsewhere' }));
    vi.advanceTimersByTime(999);
    await expect(store.lease('run-1', { ttlMs: 1_000 })).rejects.toMatchObject({ name: 'RunLeaseError', message: expect.stringContaining('(process') as unknown });
    vi.advanceTimersByTime(1);
    const taker = await store.lease('run-1', { ttlMs: 1_000 });
    await expect(old.renew()).rejects.toMatchObject({
      name: 'RunLeaseError',
      message: 'Run "run-1" was taken over by another owner: this owner\'s lease expired before it was renewed',
    });
    // The old owner's release leaves the new owner's lease alone.
    await old.release();
    await expect(store.lease('run-1', { ttlMs: 1_000 })).rejects.toMatchObject({ name: 'RunLeaseError' });
    await taker.renew();
    await taker.release();
  });
});

describe('a run whose lease is lost', () => {
  it('stops its tools and rejects with the RunLeaseError', async () => {
    const inner = createFileStore(newDir());
    let lose: (() => void) | undefined;
    // A store whose lease renews until the test takes it away.
    const store: RunStore = {
      ...inner,
      async lease(runId, options) {
        const lease = await inner.lease(runId, options);
        let lost = false;
        lose = () => (lost = true);
        return {
          ...lease,
          runId: lease.runId,
          owner: lease.owner,
          renew: () => (lost ? Promise.reject(new RunLeaseError(runId, `Run "${runId}" was taken over`)) : lease.renew()),
        };
      },
    };
    let aborted: unknown;
    const slow = {
      ...echo,
      name: 'slow',
      execute: (_: unknown, { signal }: { signal: AbortSignal }) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject((aborted = signal.reason)))),
    };
    const run = runToolBatch([{ id: 's', name: 'slow', arguments: { text: 'x' } }], { tools: [slow as typeof echo], store, runId: 'run-9', leaseMs: 30 });
    await vi.waitFor(() => expect(lose).toBeDefined());
    lose!();
    await expect(run).rejects.toMatchObject({ name: 'RunLeaseError', runId: 'run-9', message: 'Run "run-9" was taken over' });
    await vi.waitFor(() => expect(aborted).toBeDefined());
  });
});

it('runs a durable batch to its end and gives the lease back', async () => {
  const dir = newDir();
  const store = createFileStore(dir);
  expect(await runToolBatch([good(0), good(1)], { tools: [echo], store, runId: 'run-3' })).toEqual([goodOutput(0), goodOutput(1)]);
  await (await store.lease('run-3', { ttlMs: 1_000 })).release();
});
