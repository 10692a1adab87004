/**
 * Runs the README's code blocks as the user would paste them: the package
 * import resolves to src/ through the vitest alias.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The first ```ts block under the README heading that starts with `heading`. */
export function readmeSnippet(heading: string): string {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const start = readme.indexOf(`\n${heading}`);
  if (start === -1) throw new Error(`README has no heading ${heading}`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block) throw new Error(`README has no ts block under ${heading}`);
  return block[1]!;
}

/** Writes the snippet to a module under test/.generated/ and imports it. */
export async function runSnippet(code: string, name: string): Promise<unknown> {
  const dir = `${root}test/.generated`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${name}.ts`;
  writeFileSync(file, code);
  return import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
}
