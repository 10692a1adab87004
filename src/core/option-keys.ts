/**
 * Unknown option keys: a misspelt key (`concurency: 2`) used to be ignored in
 * silence, so the batch ran with the default. Each function keeps the list of
 * the keys it knows in one exported array, and checks its options against it
 * with `assertKnownKeys` before anything starts.
 */

/** Edit distance (insert, delete, replace, swap two neighbours), compared case-insensitively. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= t.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[s.length]![t.length]!;
}

/**
 * The known key closest to `key`, when one is close enough to be a typo: at
 * most a third of the key's length away (and at least one edit is allowed),
 * or one of them starts with the other (`notify` for `notifyParent`).
 *
 * @param key - the unknown key.
 * @param known - the keys the function takes.
 * @returns the closest known key, or `undefined` when none is close.
 * @example
 * ```ts
 * closestKey('concurency', ['concurrency', 'policy']); // 'concurrency'
 * ```
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  const allowed = Math.max(1, Math.floor(key.length / 3));
  let bestDistance = allowed + 1;
  const lower = key.toLowerCase();
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    const isPrefix = Math.min(lower.length, other.length) >= 3 && (other.startsWith(lower) || lower.startsWith(other));
    const d = isPrefix ? Math.min(distance(key, candidate), allowed) : distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Throws a `TypeError` for the first own key of `options` that is not in `known`,
 * naming the closest known key.
 *
 * @param options - the options object (already checked to be an object).
 * @param known - every key the function takes.
 * @param where - appended after the key in the message, e.g. `of tool "add"`. Default: nothing.
 * @throws `TypeError`: "Unknown option `concurency`; did you mean `concurrency`?", or, when no
 *   key is close, "Unknown option `x`; the options are `a`, `b`".
 * @example
 * ```ts
 * assertKnownKeys({ concurency: 2 }, ['concurrency', 'policy']);
 * // TypeError: Unknown option `concurency`; did you mean `concurrency`?
 * ```
 */
export function assertKnownKeys(options: object, known: readonly string[], where = ''): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closestKey(key, known);
    const at = where === '' ? '' : ` ${where}`;
    const hint = near === undefined ? `the options are ${known.map((k) => `\`${k}\``).join(', ')}` : `did you mean \`${near}\`?`;
    throw new TypeError(`Unknown option \`${key}\`${at}; ${hint}`);
  }
}
