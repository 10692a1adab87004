/**
 * Loading a tools module for the command line (`run --tools`, `worker --tools`):
 * its default export (an array of tools, or one tool), else every named export
 * that is a tool.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyTool } from '../runtime/tools.js';

/** True for what `defineTool` returns: a name, `parameters` (zod or JSON Schema) and `execute`. */
export function isTool(value: unknown): value is AnyTool {
  if (typeof value !== 'object' || value === null) return false;
  const tool = value as { name?: unknown; execute?: unknown; parameters?: unknown };
  return typeof tool.name === 'string' && typeof tool.execute === 'function' && typeof tool.parameters === 'object' && tool.parameters !== null;
}

/**
 * Imports `path` (relative to `cwd`) and returns its tools.
 *
 * @param fail - makes the error for a module that cannot be read or holds no tools (each command's usage error).
 * @example
 * ```ts
 * const tools = await importTools('tools.ts', process.cwd(), (message) => new UsageError(message));
 * ```
 */
export async function importTools(path: string, cwd: string, fail: (message: string) => Error): Promise<AnyTool[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ pathToFileURL(resolve(cwd, path)).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ? 'module not found' : String(error);
    throw fail(`cannot import ${path}: ${reason}`);
  }
  const fallback = module.default;
  if (Array.isArray(fallback)) {
    const bad = fallback.findIndex((item) => !isTool(item));
    if (bad !== -1) throw fail(`${path}: item ${bad} of the default export is not a tool (use defineTool)`);
    return fallback as AnyTool[];
  }
  if (isTool(fallback)) return [fallback];
  const tools = Object.values(module).filter(isTool);
  if (tools.length === 0) throw fail(`${path} exports no tools: export default an array of tools, or export tools by name`);
  return tools;
}
