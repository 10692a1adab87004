/**
 * What an object spread costs on this Node.js, and why.
 *
 * 1. The options merge in XState's `Actor` constructor,
 *    `{ ...defaultOptions, ...options }`, against
 *    `Object.assign({}, defaultOptions, options)`, on options shaped like the
 *    ones XState passes when it spawns a child.
 * 2. The pattern behind it: a spread followed by keys the spread object does
 *    not have (`{ ...a, b, c }`) against one that only overrides keys `a`
 *    has, and against the same object written out.
 *
 * Run with `node bench/spread.mjs`; prints µs per operation, median of 5.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const defaultOptions = { clock: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id) }, logger: console.log.bind(console), devTools: false };
const options = () => ({ id: '3', parent: {}, src: 'runTool', input: { index: 1 }, syncSnapshot: false, systemId: undefined });
const four = { lanes: [], queues: [], running: 1, ready: [] };

const cases = {
  "XState's merge: { ...defaultOptions, ...options }": (o) => ({ ...defaultOptions, ...o }),
  'Object.assign({}, defaultOptions, options)': (o) => Object.assign({}, defaultOptions, o),
  'baseline: make the options only': (o) => o,
  '{ ...four, running: 2 } (overrides a key it has)': () => ({ ...four, running: 2 }),
  '{ ...four, a: 1 } (1 key it lacks)': () => ({ ...four, a: 1 }),
  '{ ...four, a, b, c, d, e, f } (6 keys it lacks)': () => ({ ...four, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }),
  'the same 10 keys written out': () => ({ lanes: four.lanes, queues: four.queues, running: 1, ready: four.ready, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }),
};

function measure(f) {
  const n = 100_000;
  let sink;
  for (let i = 0; i < 10_000; i++) sink = f(options());
  const t = performance.now();
  for (let i = 0; i < n; i++) sink = f(options());
  return { us: ((performance.now() - t) * 1000) / n, sink };
}

// Each case runs in a process of its own: a spread that adds keys leaves V8 in a state
// where other object literals run slower too, so cases measured in one process bias each other.
const which = process.argv[2];
if (which !== undefined) {
  const f = Object.values(cases)[Number(which)];
  const values = Array.from({ length: 5 }, () => measure(f).us).sort((a, b) => a - b);
  process.stdout.write(String(values[2]));
} else {
  console.log(`node ${process.version}, median of 5, one process per case`);
  console.log('| operation | µs |');
  console.log('|---|---|');
  for (const [i, label] of Object.keys(cases).entries()) {
    const us = Number(execFileSync(process.execPath, [fileURLToPath(import.meta.url), String(i)], { encoding: 'utf8' }));
    console.log(`| \`${label}\` | ${us.toFixed(3)} |`);
  }
}
