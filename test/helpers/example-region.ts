/**
 * The part of an example file the README shows: the lines between
 * `// #region readme` and `// #endregion readme`, without TSDoc blocks.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The README region of `examples/<name>.ts`. */
export function exampleRegion(name: string): string {
  const text = readFileSync(`${root}examples/${name}.ts`, 'utf8');
  const start = text.indexOf('// #region readme\n');
  const end = text.indexOf('// #endregion readme');
  if (start === -1 || end === -1) throw new Error(`examples/${name}.ts has no readme region`);
  const lines = text
    .slice(start + '// #region readme\n'.length, end)
    .replace(/^[ \t]*\/\*\*[\s\S]*?\*\/\n/gm, '')
    .trimEnd()
    .split('\n');
  // A region inside a function is shown without the function's indentation.
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
  return lines.map((line) => line.slice(indent)).join('\n');
}
