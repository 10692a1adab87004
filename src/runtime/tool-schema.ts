/**
 * A tool's `parameters`: a zod 4 schema or a plain JSON Schema, checked once
 * when the tool is defined, and the one place that parses a call's arguments.
 *
 * - A zod schema parses synchronously; a schema with an async refinement or
 *   transform is found out on its first call and parsed with
 *   `safeParseAsync` from then on, so synchronous schemas pay nothing.
 * - A JSON Schema is validated with zod 4's own `z.fromJSONSchema`, which
 *   covers the keywords tool schemas use (types, properties, required,
 *   enums, patterns, `$ref`, combinators). Where it cannot convert a schema
 *   (`if`/`then`/`else`, say), the arguments are passed to the tool
 *   unvalidated, as the AI SDK's `jsonSchema()` does, and the tool or its
 *   server validates them. No JSON Schema validator is added as a dependency.
 * - Whatever a schema throws (a transform or refinement that throws) is an
 *   `invalidArguments` failure, never an `error`.
 */
import { z } from 'zod';
import { describeError, showValue } from '../core/describe.js';

/** A JSON Schema object, as MCP servers and the model APIs describe a tool's input. */
export type JsonSchema = { [keyword: string]: unknown };

/** What a tool's `parameters` may be. */
export type ToolParameters = z.ZodType | JsonSchema;

/** The arguments `execute` receives: zod's output type, or a JSON object for a JSON Schema. */
export type ToolArgs<TSchema extends ToolParameters> = TSchema extends z.ZodType ? z.output<TSchema> : Record<string, unknown>;

/** How one call's arguments parsed. */
export type ParsedArguments = { ok: true; data: unknown } | { ok: false; message: string; details: unknown; cause: unknown };

/** The compiled form of a tool's `parameters`. */
export interface CompiledParameters {
  /** Parses a call's arguments; a promise only for schemas that need async parsing. */
  parse(args: unknown): ParsedArguments | Promise<ParsedArguments>;
  /** The JSON Schema the model is shown (a JSON Schema given as is, without `$schema`). */
  jsonSchema(): Record<string, unknown>;
}

function isZod4(value: unknown): value is z.ZodType {
  return typeof value === 'object' && value !== null && typeof (value as { _zod?: unknown })._zod === 'object';
}

function isZod3(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { _def?: unknown })._def === 'object' &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

function isJsonSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function fromResult(result: z.ZodSafeParseResult<unknown>): ParsedArguments {
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, message: z.prettifyError(result.error).replaceAll('\n', '; '), details: result.error.issues, cause: result.error };
}

function thrown(error: unknown): ParsedArguments {
  // describeError never throws, whatever the schema threw (see src/core/describe.ts).
  return { ok: false, message: `the schema threw: ${describeError(error)}`, details: undefined, cause: error };
}

function compileZod(schema: z.ZodType): Omit<CompiledParameters, 'jsonSchema'> {
  let needsAsync = false;
  const parseAsync = (args: unknown): Promise<ParsedArguments> =>
    z.safeParseAsync(schema, args).then(fromResult, thrown);
  return {
    parse(args) {
      if (needsAsync) return parseAsync(args);
      try {
        return fromResult(z.safeParse(schema, args));
      } catch (error) {
        if (!(error instanceof z.core.$ZodAsyncError)) return thrown(error);
        // An async refinement or transform: parse every later call asynchronously.
        needsAsync = true;
        return parseAsync(args);
      }
    },
  };
}

/**
 * Checks a tool's `parameters` and compiles it.
 *
 * @param name - the tool's name, for error messages.
 * @param parameters - a zod 4 schema or a JSON Schema object.
 * @returns the parser and the JSON Schema for the model.
 * @throws `TypeError` for anything else, naming zod 4 when given a zod 3 schema.
 * @example
 * ```ts
 * compileParameters('add', { type: 'object', properties: { a: { type: 'number' } } }).parse({ a: 1 });
 * ```
 */
export function compileParameters(name: string, parameters: unknown): CompiledParameters {
  if (isZod4(parameters)) {
    const schema = parameters;
    return {
      ...compileZod(schema),
      jsonSchema: () => withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
    };
  }
  if (isZod3(parameters)) {
    throw new TypeError(
      `Expected \`parameters\` of tool "${name}" to be a zod 4 schema or a JSON Schema, got a zod 3 schema: install zod 4 (\`npm install zod@4\`) or import \`z\` from 'zod/v4'`,
    );
  }
  if (isJsonSchema(parameters)) {
    const given = parameters;
    let converted: z.ZodType | undefined;
    try {
      converted = typeof z.fromJSONSchema === 'function' ? (z.fromJSONSchema(given as never) as z.ZodType) : undefined;
    } catch {
      // A keyword zod cannot convert: the tool validates its own arguments (see the module header).
      converted = undefined;
    }
    const parse = converted ? compileZod(converted).parse : (args: unknown): ParsedArguments => ({ ok: true, data: args });
    return { parse, jsonSchema: () => withoutDialect(given) };
  }
  throw new TypeError(`Expected \`parameters\` of tool "${name}" to be a zod 4 schema or a JSON Schema object, got ${showValue(parameters)}`);
}

function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}
