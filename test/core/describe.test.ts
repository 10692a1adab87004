import { describe, expect, it } from 'vitest';
import { describeError, describeValue, errorMessage, showValue } from '../../src/core/describe.js';
import { hostile } from '../helpers/hostile.js';

const hostileValues: Array<[string, () => unknown]> = [
  ['an Error whose message getter throws', hostile.errorWithThrowingMessage],
  ['an Error whose message and name getters throw', hostile.errorWithNothingReadable],
  ['a Proxy whose every trap throws', hostile.proxyThatThrows],
  ['a revoked Proxy', hostile.revokedProxy],
  ['an object whose toString, Symbol.toPrimitive and prototype lookups throw', hostile.unprintable],
  ['an object with a getter that throws', hostile.throwingGetter],
  ['a cycle', hostile.cycle],
];

describe('describe', () => {
  it.each(hostileValues)('never throws for %s', (_label, make) => {
    const value = make();
    for (const describeIt of [describeValue, describeError, errorMessage, showValue]) expect(() => describeIt(value)).not.toThrow();
  });

  it.each([
    ['oops', '"oops"'],
    [10n, '10n'],
    [undefined, 'undefined'],
    [null, 'null'],
    [Symbol('s'), 'Symbol(s)'],
    [() => 1, 'a function'],
    [{ code: 42 }, '{"code":42}'],
    [[1, 2], '1,2'],
    ['x'.repeat(300), `"${'x'.repeat(199)}…`],
  ])('describeValue(%s) is %s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });

  it('describeValue of a Proxy whose every trap throws is a constant', () => {
    expect(describeValue(hostile.proxyThatThrows())).toBe('a value that could not be described');
  });

  it('describeError: an Error by its message or name, anything else as a non-Error value', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError(new RangeError())).toBe('RangeError');
    expect(describeError(hostile.errorWithThrowingMessage())).toBe('HostileError');
    expect(describeError(hostile.errorWithNothingReadable())).toBe('an Error whose message and name could not be read');
    expect(describeError('nope')).toBe('a non-Error value: "nope"');
  });

  it('showValue: the value and its type, for a revoked Proxy too', () => {
    expect(showValue(0)).toBe('`0` (number)');
    expect(showValue([1])).toBe('`an array` (array)');
    expect(showValue(hostile.revokedProxy())).toBe('`an object` (object)');
  });
});
