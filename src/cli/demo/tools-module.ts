/**
 * The demo tools as a tools module for the CLI's `run` command:
 * `npx tsx src/cli/cli.ts run message.json --tools src/cli/demo/tools-module.ts`.
 * A tools module's default export is an array of tools (or it exports tools by name).
 */
import { createDemoTools } from './tools.js';

/** `stat_file`, `hash_file`, `count_words`, `calculate`, `slow`, `failing`, `send_email` and `flaky`; file tools confined to this repository. */
export default createDemoTools();
