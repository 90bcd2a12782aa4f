/** A mistake in what the user asked for: printed as one line, never with a stack trace. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** A peer broke the protocol (bad frame, bad key, wrong message): closes that one connection. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}
