#!/usr/bin/env node
/**
 * Checks the package as a user gets it: `npm pack`, installed into an empty
 * app that has its own `xstate`, `zod` and `typescript`, once with the lowest
 * xstate of the peer range and once with the newest, each time:
 * - `npm install` prints no peer dependency warning;
 * - `tsc --strict` passes with `moduleResolution` `nodenext` and `bundler`
 *   on a file that imports every subpath that needs no optional peer
 *   (`./postgres` among them: you pass it a `pg` pool, it never imports `pg`);
 * - the README's Usage example runs and prints its documented output;
 * - `npm ls --omit=dev` shows no `openai` and no `@xstate/graph`, and the
 *   main entry imports without `openai` installed, `./postgres` without `pg`;
 * - with `@opentelemetry/api` installed (and no SDK), `./otel` typechecks,
 *   imports, and runs a batch with no tracer provider registered;
 * - `dist/` ships no scripts, no source maps, nothing that spawns a browser.
 * Prints one line per check and exits 1 on the first failure. Slow (it
 * installs from the registry): `.ci/run` runs it after the tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'xpt-package-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ok = (what) => console.log(`ok  ${what}`);
function fail(what, detail) {
  console.log(`FAIL ${what}\n${detail}`);
  process.exitCode = 1;
  throw new Error(what);
}

try {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root))[0];
  const tarball = join(work, packed.filename);
  ok(`packed ${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} KB`);

  const shipped = packed.files.map((file) => file.path);
  const forbidden = shipped.filter((path) => /\.map$|^dist\/scripts\/|render-png|visualize|machine-diagram|example-timeline|^dist\/(test|bench)\//.test(path));
  if (forbidden.length > 0) fail('dist ships no scripts, maps or browser code', forbidden.join('\n'));
  if (!shipped.includes('LICENSE')) fail('LICENSE ships', shipped.join('\n'));
  ok('dist ships no scripts, no source maps, no browser code; LICENSE ships');

  // The lowest xstate the peer range names (`^5.33.0` → 5.33.0), and the newest.
  const range = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).peerDependencies.xstate;
  const lowest = /^\^(\d+\.\d+\.\d+)$/.exec(range)?.[1];
  if (lowest === undefined) fail('the xstate peer range is ^x.y.z', range);
  for (const xstate of [lowest, 'latest']) checkApp(tarball, xstate);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Installs the packed library into an empty app with `xstate@<xstate>` and checks it there. */
function checkApp(tarball, xstate) {
  const app = join(work, `app-${xstate}`);
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2));
  const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', `xstate@${xstate}`, 'zod@latest', 'typescript@latest', '@types/node@22', tarball], {
    cwd: app,
    encoding: 'utf8',
  });
  const installLog = `${install.stdout}${install.stderr}`;
  if (install.status !== 0) fail(`npm install with xstate@${xstate}`, installLog);
  const versions = Object.fromEntries(['xstate', 'zod', 'typescript'].map((name) => [name, JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8')).version]));
  const with_ = Object.entries(versions).map(([n, v]) => `${n}@${v}`).join(', ');
  // What npm printed (ERESOLVE, "Could not resolve dependency: peer …"), and what `npm ls` finds invalid.
  // `npm ls` exits 1 when it finds a problem, so it is read whatever its status.
  const problems = JSON.parse(spawnSync('npm', ['ls', '--all', '--json'], { cwd: app, encoding: 'utf8' }).stdout || '{}').problems ?? [];
  if (/peer/i.test(installLog) || problems.length > 0) fail(`no peer dependency warning with ${with_}`, `${installLog}\n${problems.join('\n')}`);
  ok(`installed into an empty app with ${with_}, with no peer dependency warning`);

  const tree = JSON.parse(run('npm', ['ls', '--omit=dev', '--all', '--json'], app));
  const deps = tree.dependencies['xstate-parallel-tools'].dependencies ?? {};
  // Peers show up here too: they must be the app's own copies (no nested node_modules), and optional ones absent.
  const installed = Object.entries(deps).filter(([, info]) => info.version !== undefined).map(([name]) => name);
  const nested = existsSync(join(app, 'node_modules/xstate-parallel-tools/node_modules'));
  if (nested || installed.some((name) => !['xstate', 'zod'].includes(name))) {
    fail('the library installs nothing of its own: xstate and zod are the app\'s, no openai, no @xstate/graph', JSON.stringify(deps, null, 2));
  }
  ok(`npm ls --omit=dev: only the app's own ${installed.join(' and ')}; no openai, no @xstate/graph, no private copies`);

  const size = du(join(app, 'node_modules', 'xstate-parallel-tools'));
  ok(`installed size of the library: ${(size / 1024).toFixed(0)} KB`);

  const consumer = `import { z } from 'zod';
import { createActor, toPromise } from 'xstate';
import { defineTool, runToolBatch, toolBatchMachine, createToolRouter, type ToolOutput } from 'xstate-parallel-tools';
import { createScriptedModel } from 'xstate-parallel-tools/testing';
import { renderTimeline } from 'xstate-parallel-tools/view';
import { createPostgresStore, type PostgresRunStore } from 'xstate-parallel-tools/postgres';

const add = defineTool({ name: 'add', description: 'Adds', parameters: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b });
const machine = toolBatchMachine.provide({ actors: { runTool: createToolRouter([add]).runTool } });
const output = await toPromise(createActor(machine, { input: { calls: [{ id: '1', name: 'add', arguments: { a: 1, b: 2 } }] } }).start());
const outputs: ToolOutput[] = await runToolBatch([{ id: '1', name: 'add', arguments: { a: 1, b: 2 } }], { tools: [add] });
const makeStore: (pool: { query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> }) => PostgresRunStore = (pool) => createPostgresStore({ pool });
console.log(output.status, outputs, typeof createScriptedModel, typeof renderTimeline, typeof makeStore);
`;
  writeFileSync(join(app, 'consumer.ts'), consumer);
  for (const resolution of ['nodenext', 'bundler']) {
    const module = resolution === 'bundler' ? 'esnext' : 'nodenext';
    try {
      run(join(app, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'es2022', '--module', module, '--moduleResolution', resolution, '--types', 'node', 'consumer.ts'], app);
    } catch (error) {
      fail(`tsc --strict, moduleResolution ${resolution}`, `${error.stdout}${error.stderr}`);
    }
    ok(`tsc --strict --moduleResolution ${resolution} typechecks the main entry, ./testing, ./view and ./postgres`);
  }

  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const usage = /## Usage\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)[1];
  writeFileSync(join(app, 'usage.mjs'), usage.replace(/^import type .*$/gm, ''));
  // The snippet is TypeScript without type annotations, so Node runs it as is.
  const printed = run('node', ['usage.mjs'], app);
  if (!printed.includes("{ id: 'call_3', result: { city: 'Reykjavik', celsius: 27 } }")) fail("README's Usage example prints its documented output", printed);
  ok("the README's Usage example runs and prints its documented output");

  const without = run('node', ['-e', "import('xstate-parallel-tools').then((m) => console.log(Object.keys(m).length, 'exports'))"], app);
  let openaiPresent = true;
  try {
    run('node', ['-e', "import('openai')"], app);
  } catch {
    openaiPresent = false;
  }
  if (openaiPresent) fail('openai is not installed with the library', 'import("openai") succeeded in the app');
  ok(`the main entry imports without openai installed (${without.trim()})`);
  run('node', ['-e', "import('xstate-parallel-tools/postgres').then((m) => { if (typeof m.createPostgresStore !== 'function') process.exit(1); })"], app);
  ok('./postgres imports without pg installed');

  // ./otel needs @opentelemetry/api, and no SDK: with no tracer provider registered it runs the batch as it is.
  run('npm', ['install', '--no-audit', '--no-fund', '@opentelemetry/api@^1.9.0'], app);
  const otelConsumer = `import { z } from 'zod';
import { defineTool, type ToolOutput } from 'xstate-parallel-tools';
import { bullmqTracing, traceAgent, traceToolBatch } from 'xstate-parallel-tools/otel';

const add = defineTool({ name: 'add', description: 'Adds', parameters: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b });
const outputs: ToolOutput[] = await traceToolBatch([{ id: '1', name: 'add', arguments: { a: 1, b: 2 } }], { tools: [add] });
console.log(JSON.stringify(outputs), typeof traceAgent, typeof bullmqTracing().inject);
`;
  writeFileSync(join(app, 'otel-consumer.ts'), otelConsumer);
  try {
    run(join(app, 'node_modules/.bin/tsc'), ['--strict', '--skipLibCheck', 'false', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--outDir', 'otel-out', 'otel-consumer.ts'], app);
  } catch (error) {
    fail('tsc --strict typechecks ./otel', `${error.stdout}${error.stderr}`);
  }
  const traced = run('node', ['otel-out/otel-consumer.js'], app).trim();
  if (traced !== '[{"id":"1","result":3}] function function') fail('./otel runs a batch with no tracer provider registered', traced);
  ok('./otel typechecks with @opentelemetry/api alone, imports, and runs a batch with no tracer provider registered');
}

function du(dir) {
  let total = 0;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = statSync(path);
    total += stat.isDirectory() ? du(path) : stat.size;
  }
  return total;
}
