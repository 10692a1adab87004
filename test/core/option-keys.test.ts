import { describe, expect, it } from 'vitest';
import { assertKnownKeys, closestKey } from '../../src/core/option-keys.js';

const known = ['concurrency', 'policy', 'timeoutMs', 'perToolConcurrency', 'notifyParent'];

describe('closestKey', () => {
  it.each([
    ['concurency', 'concurrency'],
    ['Policy', 'policy'],
    ['timeout', 'timeoutMs'],
    ['polciy', 'policy'],
    ['notify', 'notifyParent'],
    ['colour', undefined],
    ['ab', undefined],
  ])('%s → %s', (key, closest) => {
    expect(closestKey(key, known)).toBe(closest);
  });
});

describe('assertKnownKeys', () => {
  it('accepts known keys, whatever their values', () => {
    expect(() => assertKnownKeys({ concurrency: undefined, policy: 'x' }, known)).not.toThrow();
  });

  it('names the closest known key, or lists them all', () => {
    expect(() => assertKnownKeys({ concurency: 2 }, known)).toThrow(new TypeError('Unknown option `concurency`; did you mean `concurrency`?'));
    expect(() => assertKnownKeys({ xyz: 1 }, ['a', 'b'], 'of tool "t"')).toThrow(new TypeError('Unknown option `xyz` of tool "t"; the options are `a`, `b`'));
  });
});
