/**
 * Hostile values: things a tool (or a model) may throw or return whose
 * inspection itself throws. Each factory makes a fresh one.
 */

/** An Error subclass whose `message` getter throws; its `name` is readable. */
class HostileError extends Error {
  override get message(): string {
    throw new Error('message getter');
  }
  override get name(): string {
    return 'HostileError';
  }
}

/** An Error whose `message` and `name` getters both throw. */
class UnreadableError extends Error {
  override get message(): string {
    throw new Error('message getter');
  }
  override get name(): string {
    throw new Error('name getter');
  }
}

const throwingTraps: ProxyHandler<object> = Object.fromEntries(
  ['get', 'set', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'setPrototypeOf', 'defineProperty', 'deleteProperty', 'isExtensible', 'preventExtensions', 'apply', 'construct'].map(
    (trap) => [trap, () => { throw new Error(`${trap} trap`); }],
  ),
);

export const hostile = {
  errorWithThrowingMessage: (): Error => new HostileError(),
  errorWithNothingReadable: (): Error => new UnreadableError(),
  /** A Proxy whose every trap throws. */
  proxyThatThrows: (): object => new Proxy({}, throwingTraps),
  /** A revoked Proxy: every operation on it throws a TypeError. */
  revokedProxy: (): object => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  },
  /** An object whose toString, Symbol.toPrimitive and prototype lookups all throw. */
  unprintable: (): object =>
    new Proxy(
      {
        toString() {
          throw new Error('toString');
        },
        [Symbol.toPrimitive]() {
          throw new Error('toPrimitive');
        },
      },
      {
        getPrototypeOf() {
          throw new Error('getPrototypeOf trap');
        },
      },
    ),
  /** An object whose getter throws a Proxy whose every trap throws. */
  throwingGetter: (): object => ({
    get x(): never {
      throw new Proxy({}, throwingTraps);
    },
  }),
  /** A cycle through an array. */
  cycle: (): object => {
    const node: { list: unknown[] } = { list: [] };
    node.list.push(node);
    return node;
  },
  /** An object whose toJSON returns itself, and a Map with entries. */
  toJSONReturnsThisMap: (): object => Object.assign(new Map([['a', 1]]), { toJSON(this: unknown) { return this; } }),
};
