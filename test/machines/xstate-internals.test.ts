import { describe, expect, it } from 'vitest';
import { createActor, createEmptyActor, type ActorSystem, type ActorSystemInfo, type AnyActorRef } from 'xstate';
import xstatePackage from 'xstate/package.json' with { type: 'json' };
import { isListened, parentOf, relay, scopeOf, supportedXState, systemClockNow } from '../../machines/xstate-internals.js';
import { toolBatchMachine } from '../../machines/tool-batch.machine.js';

// Each internal is checked once per module instance (vitest gives each file its own), so the
// missing-internal cases come first: they are each internal's first use in this file.
describe('xstate internals', () => {
  const version = xstatePackage.version;
  const bare = {} as ActorSystem<ActorSystemInfo>;
  const bareActor = {} as AnyActorRef;

  it('names the missing internal and the installed xstate version at its first use', () => {
    const message = (internal: string): string =>
      `xstate-parallel-tools needs XState's internal \`${internal}\`, which the installed xstate ${version} does not have: install an xstate in ${supportedXState}`;
    expect(() => systemClockNow(bare)).toThrow(new Error(message('system._clock')));
    expect(() => parentOf(bareActor)).toThrow(new Error(message('actorRef._parent')));
    expect(() => relay(bare, bareActor, bareActor, { type: 'x' })).toThrow(new Error(message('system._relay')));
    expect(() => isListened(bareActor, ['x'])).toThrow(new Error(message('actor.eventListeners')));
    expect(() => scopeOf(bareActor)).toThrow(new Error(message('actor._actorScope.defer and .emit')));
  });

  it('finds every internal on the installed xstate', () => {
    const actor = createEmptyActor();
    expect(systemClockNow(actor.system)).toBeUndefined();
    expect(parentOf(actor)).toBeUndefined();
    expect(isListened(actor, ['x'])).toBe(false);
    expect(typeof scopeOf(actor).defer).toBe('function');
    const batch = createActor(toolBatchMachine, { input: { calls: [], options: {} } }).start();
    expect(batch.getSnapshot().status).toBe('done');
  });

  it('runs on the xstate the run asks for (XPT_XSTATE=lowest: the lowest of the peer range)', () => {
    const lowest = supportedXState.replace(/^\^/, '');
    if (process.env.XPT_XSTATE === 'lowest') expect(version).toBe(lowest);
    else expect(Number(version.split('.')[1])).toBeGreaterThanOrEqual(Number(lowest.split('.')[1]));
  });
});
