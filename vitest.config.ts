import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // README snippets and examples import the package by name; tests run them against src/
    // (the same mapping as tsconfig.json's `paths`).
    alias: [
      { find: /^xstate-parallel-tools$/, replacement: src('index.ts') },
      { find: /^xstate-parallel-tools\/(testing|view)$/, replacement: src('$1/index.ts') },
      { find: /^xstate-parallel-tools\/([a-z-]+)$/, replacement: src('adapters/$1/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
