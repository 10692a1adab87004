/**
 * Names and ids that are data: every key of `Object.prototype`, strings that
 * look empty, a very long one, unusual Unicode (emoji, right-to-left text,
 * lone surrogates), integer-like keys and ordinary names. The names-are-data
 * tests draw tool names, call ids and object keys from here, and build what
 * a model or a config file sends as `JSON.parse` gives it.
 */

/** `constructor`, `toString`, `__proto__`, `hasOwnProperty`, … */
export const prototypeKeys: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

export const oddNames: readonly string[] = [
  ' ',
  '\u200b',
  'x'.repeat(10_000),
  '🦜🔥',
  'مرحبا بالعالم',
  '\u202eevil',
  '\ud800',
  'a\udc00b',
  'e\u0301',
  'prototype',
  '0',
  '-1',
];

export const ordinaryNames: readonly string[] = ['search', 'add_numbers', 'fetch-page', 'Weather2'];

/** Every name above, each once. */
export const vocabulary: readonly string[] = [...new Set([...prototypeKeys, '__proto__', ...oddNames, ...ordinaryNames])];

/** `defineTool`'s name rule, as OpenAI states it. */
export const toolNameRule = /^[a-zA-Z0-9_-]{1,64}$/;

/** The names `defineTool` accepts: the others can only be names of unknown calls. */
export const registrable: readonly string[] = vocabulary.filter((name) => toolNameRule.test(name));

/**
 * The object a JSON text with these entries parses to: each key is an own
 * property, `__proto__` included (an object literal or an assignment would
 * set the prototype instead).
 *
 * @example
 * ```ts
 * parsedObject([['__proto__', 1]]); // JSON.parse('{"__proto__":1}')
 * ```
 */
export function parsedObject<T>(entries: ReadonlyArray<readonly [string, T]>): Record<string, T> {
  return JSON.parse(`{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`) as Record<string, T>;
}

/** What `createToolRouter` says of a call to a tool it does not have. */
export function unknownToolMessage(name: string, known: readonly string[]): string {
  return `No tool named "${name}" (known tools: ${known.map((tool) => `"${tool}"`).join(', ') || 'none'})`;
}

/** Resolves with what `promise` settles to, or fails the test when it takes longer than `ms`: a hang. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}
