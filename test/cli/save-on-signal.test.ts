/**
 * `--run-id` on Ctrl-C and SIGTERM: the process exits only once the
 * checkpoint under way is written, so a call that settled just before the
 * signal is not run again on resume.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { saveOnSignal, trackSaves } from '../../src/cli/demo/save-on-signal.js';
import { createFileStore, type RunCheckpoint, type RunStore } from '../../src/index.js';
import { deferred } from '../helpers/deferred.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const checkpoint = (n: number): RunCheckpoint => ({ version: 1, kind: 'agent', snapshot: { n } });

/** A store whose every save waits for the test, and whose first save's end starts another, as the checkpointer's chain does. */
function slowStore(): { store: RunStore; saves: Array<ReturnType<typeof deferred<void>>>; saved: number[] } {
  const saves: Array<ReturnType<typeof deferred<void>>> = [];
  const saved: number[] = [];
  const store: RunStore = {
    ...createFileStore(mkdtempSync(join(tmpdir(), 'xpt-sig-'))),
    save: (_runId, { snapshot }) => {
      const save = deferred<void>();
      saves.push(save);
      return save.promise.then(() => void saved.push((snapshot as { n: number }).n));
    },
  };
  return { store, saves, saved };
}

describe('saveOnSignal', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('on %s exits with %i only after the save under way and the one queued behind it', async (signal, code) => {
    const { store, saves, saved } = slowStore();
    const tracked = trackSaves(store);
    // The first save's end starts the newer one, as keepCheckpoints does with a snapshot that waited.
    void tracked.save('run-1', checkpoint(1)).then(() => tracked.save('run-1', checkpoint(2)));
    const lines: string[] = [];
    const exits: number[] = [];
    const stop = saveOnSignal(tracked, 'run-1', (line) => lines.push(line), (exitCode) => exits.push(exitCode));
    try {
      process.emit(signal);
      await new Promise((resolve) => setImmediate(resolve));
      expect({ lines, exits }).toEqual({ lines: [`${signal}: saving the checkpoint of run run-1`], exits: [] });
      saves[0]!.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      expect({ saved, exits }).toEqual({ saved: [1], exits: [] });
      saves[1]!.resolve();
      await new Promise((resolve) => setImmediate(resolve));
      expect({ saved, exits, lines: lines.at(-1) }).toEqual({ saved: [1, 2], exits: [code], lines: 'saved: start again with --run-id run-1 to resume' });
    } finally {
      stop();
    }
  });
});

describe('the demo with --run-id, interrupted', () => {
  it('exits 130 on SIGINT right after a call settles, with that call settled in its checkpoint', { timeout: 30_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'xpt-demo-sig-'));
    dirs.push(out);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/cli.ts', '--run-id', 'sig-1', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let doneBeforeSignal: string[] | undefined;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (doneBeforeSignal === undefined && /\n\s+done\s+call_1\s/.test(stderr)) {
        child.kill('SIGINT');
        doneBeforeSignal = [...stderr.matchAll(/\n\s+done\s+(call_\d+)\s/g)].map((match) => match[1]!);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('SIGINT: saving the checkpoint of run sig-1\n');
    expect(stderr).toContain('saved: start again with --run-id sig-1 to resume\n');
    const saved = JSON.parse(readFileSync(join(out, 'runs', 'sig-1.json'), 'utf8')) as { snapshot: unknown };
    const text = JSON.stringify(saved.snapshot);
    // Every call the progress showed settled before the signal is settled in the checkpoint (by its output's id).
    for (const id of doneBeforeSignal!) expect(text, id).toMatch(new RegExp(`"id":"${id}"[^}]*"result"|"tool_call_id":"${id}"`));
  });
});
