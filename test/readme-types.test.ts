/**
 * Every TypeScript block in the README compiles under the project's strict
 * options, as a user would paste it: a block that shows an example file's
 * readme region is that file (examples/*.ts, compiled with the project);
 * every other block is compiled here, as a module of its own.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { exampleRegion } from './helpers/example-region.js';

const root = fileURLToPath(new URL('../', import.meta.url));

describe('README', () => {
  it('has no TypeScript block that fails to compile under --strict', { timeout: 120_000 }, () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!.trimEnd());
    const withRegion = readdirSync(join(root, 'examples')).filter((file) => file.endsWith('.ts') && readFileSync(join(root, 'examples', file), 'utf8').includes('// #region readme'));
    const regions = new Set(withRegion.map((file) => exampleRegion(file.slice(0, -3))));
    const dir = join(root, 'test/.generated/readme-types');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.flatMap((block, i) => {
      if (regions.has(block)) return [];
      const file = join(dir, `block-${i}.ts`);
      writeFileSync(file, `${block}\nexport {};\n`);
      return [file];
    });
    expect(files.length).toBeGreaterThanOrEqual(6);
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    // A snippet may leave a name unused, as a user's first try would.
    const program = ts.createProgram(files, { ...config.options, noEmit: true, noUnusedLocals: false });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file !== undefined && files.includes(diagnostic.file.fileName))
      .map((diagnostic) => {
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        const block = Number(/block-(\d+)\.ts$/.exec(diagnostic.file!.fileName)![1]);
        return `README block ${block + 1}, line ${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  });
});
