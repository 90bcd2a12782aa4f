/**
 * Marks errors of the UserError kind across copies of this module: parts of
 * the hq command line are bundled separately (see src/build/bundle.ts), and
 * each bundle has its own copy of the class.
 */
const USER_ERROR = Symbol.for('hq.UserError');

/** A mistake in what the user asked for: printed as one line, never with a stack trace. */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly [USER_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [USER_ERROR]?: boolean })[USER_ERROR] === true;
  }
}

/** A peer broke the protocol (bad frame, bad key, wrong message): closes that one connection. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}
