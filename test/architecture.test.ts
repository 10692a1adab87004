/**
 * Keeps the imports running one way: adapters, views, CLI → runtime API →
 * machines → core. Each layer lists what it may import; the test names the
 * file and the import that points the wrong way.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));

/** The layer of a repository file, by its folder. */
function layerOf(file: string): string {
  if (file.startsWith('src/core/')) return 'core';
  if (file.startsWith('machines/')) return 'machines';
  if (file.startsWith('src/runtime/') || file.startsWith('src/models/')) return 'runtime';
  if (file === 'src/index.ts') return 'entry';
  if (file.startsWith('src/testing/')) return 'testing';
  if (file.startsWith('src/view/')) return 'view';
  if (file.startsWith('src/adapters/')) return `adapter:${file.split('/')[2]}`;
  if (file.startsWith('src/cli/')) return 'cli';
  if (file.startsWith('scripts/')) return 'scripts';
  return 'other';
}

/** Which layers each layer may import (besides itself). Packages are checked separately. */
const allowed: Record<string, readonly string[]> = {
  core: [],
  machines: ['core'],
  runtime: ['core', 'machines'],
  entry: ['core', 'machines', 'runtime'],
  testing: ['core', 'machines', 'runtime', 'entry'],
  view: ['core', 'machines', 'runtime'],
  cli: ['core', 'machines', 'runtime', 'view'],
};

/** Packages a layer may import: the machines and the core load no SDK. */
const allowedPackages: Record<string, readonly string[]> = {
  core: [],
  machines: ['xstate'],
  runtime: ['xstate', 'zod'],
  entry: [],
  testing: ['xstate', 'zod'],
  view: [],
};

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) out.push(...filesUnder(path));
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every static and dynamic import specifier of a file. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push((match[1] ?? match[2])!);
  }
  return found;
}

function problems(): string[] {
  const out: string[] = [];
  for (const file of [...filesUnder('src'), ...filesUnder('machines')]) {
    const layer = layerOf(file);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts');
        const targetLayer = layerOf(target);
        if (targetLayer === layer) continue;
        const may = allowed[layer];
        // Adapters build on the public API and the runtime, never on each other, the CLI or the views' internals.
        const adapterOk = layer.startsWith('adapter:') && ['core', 'machines', 'runtime', 'entry'].includes(targetLayer);
        // The command line may use any adapter (the OpenAI model, the BullMQ worker).
        const cliOk = layer === 'cli' && targetLayer.startsWith('adapter:');
        if (adapterOk || cliOk || may?.includes(targetLayer)) continue;
        out.push(`${file} (${layer}) imports ${specifier} (${targetLayer})`);
      } else if (!specifier.startsWith('node:')) {
        const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        const packages = allowedPackages[layer];
        if (packages !== undefined && !packages.includes(pkg)) out.push(`${file} (${layer}) imports the package ${specifier}`);
      }
    }
  }
  return out;
}

describe('import direction', () => {
  it('runs one way: adapters, views, CLI → runtime → machines → core', () => {
    expect(problems()).toEqual([]);
  });

  it('keeps the machines and the core free of I/O and SDKs', () => {
    const io = /from ['"]node:(fs|net|http|https|child_process|fs\/promises)['"]|Date\.now\(\)/;
    const offenders = [...filesUnder('machines'), ...filesUnder('src/core')].filter((file) => io.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('finds the imports it checks (a check that sees nothing cannot fail)', () => {
    expect(importsOf('machines/tool-batch.machine.ts')).toContain('xstate');
    expect(importsOf('machines/tool-batch.machine.ts').some((s) => s.includes('core/'))).toBe(true);
    expect(layerOf('src/adapters/mcp/index.ts')).toBe('adapter:mcp');
  });
});
