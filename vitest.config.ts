import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

// XPT_XSTATE=lowest runs the library and the tests on the lowest xstate of the peer range
// (the devDependency xstate-lowest); packages in node_modules keep their own xstate.
const xstate = process.env.XPT_XSTATE === 'lowest' ? [{ find: /^xstate(\/.*)?$/, replacement: 'xstate-lowest$1' }] : [];

export default defineConfig({
  resolve: {
    // README snippets and examples import the package by name; tests run them against src/
    // (the same mapping as tsconfig.json's `paths`).
    alias: [
      { find: /^xstate-parallel-tools$/, replacement: src('index.ts') },
      { find: /^xstate-parallel-tools\/(testing|view)$/, replacement: src('$1/index.ts') },
      { find: /^xstate-parallel-tools\/([a-z-]+)$/, replacement: src('adapters/$1/index.ts') },
      ...xstate,
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
