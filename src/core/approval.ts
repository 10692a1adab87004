/**
 * The marker a tool runner returns instead of a result when a call needs an
 * approval before it runs: the invocation actor then asks the batch, which
 * holds the call (without a lane) until `call.approve` or `call.deny`.
 */

import { hasMarker } from './marker.js';

const approvalMarker = Symbol.for('xstate-parallel-tools.ApprovalRequest');

/**
 * A call that must be approved before it runs, with its parsed arguments.
 *
 * @example
 * ```ts
 * if (needsApproval && !context.approved) return new ApprovalRequest(parsedArguments);
 * ```
 */
export class ApprovalRequest {
  readonly [approvalMarker] = true;
  /** The call's arguments, parsed by the tool's schema: what the approver is shown. */
  readonly arguments: unknown;

  /** @param args - the parsed arguments. */
  constructor(args: unknown) {
    this.arguments = args;
  }

  /** True for any `ApprovalRequest`, from any copy of this package. */
  static isInstance(value: unknown): value is ApprovalRequest {
    return hasMarker(value, approvalMarker);
  }
}
