/**
 * Shared by the Anthropic adapter's tests: a loopback server that speaks the
 * Messages API, Messages API bodies, and weather tools the tests control.
 */
import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'vitest';
import { z } from 'zod';
import { defineTool, type ChatMessage } from 'xstate-parallel-tools';
import { startReplyServer, type Reply } from '../../helpers/reply-server.js';
import { deferred, type Deferred } from '../../helpers/deferred.js';
export { deferred, type Deferred } from '../../helpers/deferred.js';

// ---------------------------------------------------------------------------
// A loopback server that speaks the Messages API (POST /v1/messages, non-streaming)

export type { Reply, SeenRequest } from '../../helpers/reply-server.js';

/** Starts the server on 127.0.0.1; `client()` is a real Anthropic client pointed at it. */
export async function startServer(replies: Reply[]) {
  const server = await startReplyServer(replies, (index) => ({ type: 'error', error: { type: 'api_error', message: `no reply ${index}` } }));
  return {
    ...server,
    client: (options: { maxRetries?: number } = {}) => new Anthropic({ baseURL: server.origin, apiKey: 'sk-ant-test', ...options }),
  };
}

/** A Messages API response body, as the API sends it. */
export function apiMessage(content: unknown[], usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number } = { input_tokens: 30, output_tokens: 7 }) {
  const toolUse = content.some((block) => (block as { type: string }).type === 'tool_use');
  return {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    content,
    stop_reason: toolUse ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { cache_creation_input_tokens: null, cache_read_input_tokens: null, ...usage },
  };
}

/** A `tool_use` block of the weather tool. */
export const toolUse = (id: string, city: string) => ({ type: 'tool_use', id, name: 'weather', input: { city } });

// ---------------------------------------------------------------------------
// Tools and helpers

/** The weather tool, failing for Atlantis. */
export const weather = defineTool({
  name: 'weather',
  description: 'Current temperature of a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => {
    if (city === 'Atlantis') throw new Error(`no weather station in ${city}`);
    return { city, celsius: city.length * 3 };
  },
});

/** `weather` in Anthropic's shape, as the requests must carry it. */
export const weatherTool = {
  name: 'weather',
  description: 'Current temperature of a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** A weather tool whose calls finish when the test says so, counting how many run at once. */
export function controlledWeather() {
  const gates = new Map<string, Deferred<void>>();
  const gate = (city: string) => {
    let entry = gates.get(city);
    if (entry === undefined) gates.set(city, (entry = deferred<void>()));
    return entry;
  };
  const state = { running: 0, peak: 0, started: [] as string[], finished: [] as string[] };
  const tool = defineTool({
    name: 'weather',
    description: 'Current temperature of a city',
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }, { signal }) => {
      state.running++;
      state.peak = Math.max(state.peak, state.running);
      state.started.push(city);
      try {
        const aborted = new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
        // An abort after the gate opened rejects nobody's promise: keep it from being an unhandled rejection.
        aborted.catch(() => {});
        await Promise.race([gate(city).promise, aborted]);
        if (city === 'Atlantis') throw new Error(`no weather station in ${city}`);
        state.finished.push(city);
        return { city, celsius: city.length * 3 };
      } finally {
        state.running--;
      }
    },
  });
  return { tool, state, open: (city: string) => gate(city).resolve(), fail: (city: string, error: Error) => gate(city).reject(error) };
}

/** Resolves once `check` holds, polling on macrotasks (no wall-clock assertions). */
export async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(check()).toBe(true);
}

/** The user's question in the agent tests. */
export const question: ChatMessage = { role: 'user', content: 'Weather in Oslo, Lima and Atlantis?' };
