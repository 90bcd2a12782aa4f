import assert from 'node:assert/strict';
import { UserError } from '../../src/common/errors.js';

/** Asserts that `fn` fails with a one-line UserError that names `badValue`. */
export function expectUserError(fn: () => unknown, badValue: string, reason?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.ok(error.message.includes(badValue), `message '${error.message}' does not name '${badValue}'`);
    assert.ok(!error.message.includes('\n'), `message '${error.message}' is not one line`);
    if (reason !== undefined) assert.match(error.message, reason);
    return true;
  });
}
