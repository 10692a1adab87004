import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { and, assign, createMachine, not, or, setup } from 'xstate';
import { beforeAll, describe, expect, it } from 'vitest';
import { guardText, mermaidDiagram, renderMachineMarkdown } from '../../scripts/machine-diagram.js';
import { findMachines, generateVisualizations, readmeMarkers, withReadmeDiagram } from '../../scripts/visualize.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run visualize', () => {
  let files: Map<string, string>;
  beforeAll(async () => {
    files = await generateVisualizations(root);
  });

  it('finds every machine exported from machines/*.machine.ts', async () => {
    const found = (await findMachines(root)).map(({ name, file, exportName }) => ({ name, file, exportName }));
    expect(found).toContainEqual({ name: 'tool-batch', file: 'machines/tool-batch.machine.ts', exportName: 'toolBatchMachine' });
    expect(found).toContainEqual({ name: 'tool-call', file: 'machines/tool-call.machine.ts', exportName: 'toolCallChart' });
    const machineFiles = readdirSync(`${root}machines`).filter((file) => file.endsWith('.machine.ts'));
    expect(new Set(found.map((m) => m.file))).toEqual(new Set(machineFiles.map((file) => `machines/${file}`)));
  });

  it('has checked-in files that match the machines (else run `npm run visualize`)', () => {
    for (const [path, expected] of files) {
      const file = `${root}${path}`;
      const actual = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      expect(actual === expected, `${path} is stale or missing: run \`npm run visualize\``).toBe(true);
    }
    const generated = readdirSync(`${root}visualizations`).filter((file) => file.endsWith('.md'));
    const expected = [...files.keys()].filter((path) => path.startsWith('visualizations/') && path.endsWith('.md'));
    expect(
      generated.map((file) => `visualizations/${file}`).sort(),
      'visualizations/ holds a diagram of a machine that no longer exists: delete it and run `npm run visualize`',
    ).toEqual(expected.sort());
  });

  it('draws the example timeline', () => {
    expect(files.get('visualizations/example-timeline.svg')).toMatch(/^<svg /);
  });

  it('copies the batch diagram into the README between its markers', () => {
    const readme = files.get('README.md')!;
    const block = readme.slice(readme.indexOf(readmeMarkers.start), readme.indexOf(readmeMarkers.end));
    expect(block).toContain('```mermaid\nstateDiagram-v2\n  [*] --> running\n');
    expect(files.get('visualizations/tool-batch.md')).toContain(block.slice(block.indexOf('```mermaid')));
  });

  it('draws each join policy as a guarded call.failed edge of the batch machine', () => {
    const batch = files.get('visualizations/tool-batch.md')!;
    expect(batch).toContain('  running --> failed : call.failed [isFailFast]\n');
    expect(batch).toContain('  running --> failed : call.failed [isJoinAll and isLastToSettle]\n');
    expect(batch).toContain('  running --> running : call.failed [isJoinAll]\n');
    expect(batch).toContain('  running --> succeeded : call.failed [isSettleAll and isLastToSettle]\n');
    expect(batch).toContain('  running --> running : call.failed [isSettleAll]\n');
    expect(batch).toContain('  running --> running : call.succeeded [isLateCompletion]\n');
    expect(batch).toContain('  running --> cancelled : batch.cancel\n');
  });

  it('draws the eventless transitions that toDirectedGraph leaves out, and marks final states', () => {
    const batch = files.get('visualizations/tool-batch.md')!;
    expect(batch).toContain('  running --> succeeded : always [isEmpty]\n');
    for (const final of ['succeeded', 'failed', 'cancelled']) expect(batch).toContain(`  ${final} --> [*]\n`);
    expect(batch).toContain('| `running` | `always` | `isEmpty` | `succeeded` |  |');
    expect(batch).toContain('    entry / admitQueued, announceStep\n');
    expect(batch).toContain('| `isFailFast` | running → failed on call.failed; running → failed on call.deny |');
  });

  it('draws the invocation actor chart with its timeout delay', () => {
    const call = files.get('visualizations/tool-call.md')!;
    expect(call).toContain('  running --> timedOut : after callTimeout\n');
    expect(call).toContain('| `callTimeout` | running → timedOut on after callTimeout |');
    // The raise/cancel pair XState adds for `after` is not shown as the state's actions.
    expect(call).toContain('    entry / runToolWithSignal\n    exit / returnStream\n  end note');
  });
});

describe('mermaidDiagram', () => {
  it('draws nested states, invocations, delays, targetless and root-level transitions', () => {
    const machine = setup({
      actors: { model: createMachine({}) },
      guards: { isReady: () => true, isBusy: () => false, isLate: () => false },
      delays: { patience: 100 },
      actions: { log: () => {} },
    }).createMachine({
      id: 'demo',
      initial: 'idle',
      on: { reset: '.idle' },
      states: {
        idle: {
          description: 'Waits; then starts.',
          on: { start: { guard: or(['isReady', and(['isBusy', not('isLate')])]), target: 'working' }, ping: { actions: 'log' } },
        },
        working: {
          initial: 'calling',
          states: {
            calling: { invoke: { src: 'model', onDone: 'finished', onError: '#demo.idle' } },
            finished: { type: 'final' },
          },
          after: { patience: 'idle', 500: { target: 'idle', actions: assign({}) } },
        },
      },
    });
    expect(mermaidDiagram(machine)).toBe(
      [
        'stateDiagram-v2',
        '  [*] --> idle',
        '  idle',
        '  state working {',
        '    [*] --> working_calling',
        '    working_calling',
        '    working_finished',
        '    working_calling --> working_finished : onDone(model)',
        '    working_calling --> idle : onError(model)',
        '    working_finished --> [*]',
        '    note right of working_calling',
        '      invoke / model',
        '    end note',
        '  }',
        '  idle --> working : start [isReady or (isBusy and not isLate)]',
        '  idle --> idle : ping',
        // Object key order: integer-like keys (500) come first.
        '  working --> idle : after 500 ms',
        '  working --> idle : after patience',
        '  note right of idle',
        '    Waits; then starts.',
        '  end note',
      ].join('\n'),
    );
  });

  it('lists root-level transitions under the diagram as handled in every state', () => {
    const machine = createMachine({ id: 'm', initial: 'a', on: { reset: '.a' }, states: { a: {} } });
    const markdown = renderMachineMarkdown(machine, { file: 'machines/m.machine.ts', exportName: 'm' });
    expect(markdown).toContain('Handled in every state: `reset` → `a`.');
    expect(markdown).toContain('| any state | `reset` |  | `a` |  |');
  });

  it('writes parameterized guards by type and inline guards as such', () => {
    expect(guardText({ type: 'isAllowed', params: { n: 1 } })).toBe('isAllowed');
    expect(guardText(() => true)).toBe('inline guard');
    expect(guardText(not(and(['a', 'b'])))).toBe('not (a and b)');
  });

  it('leaves a README without markers unchanged', () => {
    expect(withReadmeDiagram('# Title\n', 'stateDiagram-v2')).toBe('# Title\n');
  });
});
