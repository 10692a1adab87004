/**
 * The file store (`createFileStore`) against the store contract that the
 * Redis and Postgres stores pass too (test/helpers/store-contract.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStore } from '../../src/runtime/run-store.js';
import { runStoreContract } from '../helpers/store-contract.js';

runStoreContract('createFileStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xpt-file-store-'));
  const fileOf = (runId: string): string => join(dir, `${runId}.json`);
  return {
    store: createFileStore(dir),
    second: createFileStore(dir),
    writeRaw: async (runId, text) => writeFileSync(fileOf(runId), text),
    readRaw: async (runId) => (existsSync(fileOf(runId)) ? readFileSync(fileOf(runId), 'utf8') : undefined),
    location: (runId) => `file ${fileOf(runId)}`,
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
