// The hq command line's parts are bundled separately (server, worker, yargs),
// so one process may hold two copies of a module. What must hold across the
// copies: a UserError from one is a UserError to the other, and --debug set
// in one reaches the log of the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError, UserError } from '../../src/common/errors.js';
import { setDebug } from '../../src/common/log.js';

/** A second, independent instance of a module (as another bundle has). */
async function secondCopy<T>(specifier: string): Promise<T> {
  return (await import(`${specifier}?copy=${Math.random()}`)) as T;
}

test('a UserError made by another copy of the module is a UserError, and nothing else is', async () => {
  const other = await secondCopy<typeof import('../../src/common/errors.js')>('../../src/common/errors.js');
  assert.notEqual(other.UserError, UserError, 'the copy has a class of its own');
  const foreign = new other.UserError('Invalid --cpus value x');
  assert.ok(foreign instanceof UserError);
  assert.ok(new UserError('y') instanceof other.UserError);
  assert.equal(foreign.message, 'Invalid --cpus value x');
  assert.ok(!(new Error('z') instanceof UserError));
  assert.ok(!(new ProtocolError('bad frame') instanceof UserError));
  assert.ok(!(new other.ProtocolError('bad frame') instanceof UserError));
  assert.ok(!({ name: 'UserError', message: 'look-alike' } instanceof UserError));
});

test('debug logging switched on through one copy of the log module shows in another', async (t) => {
  const other = await secondCopy<typeof import('../../src/common/log.js')>('../../src/common/log.js');
  const lines: string[] = [];
  t.mock.method(process.stderr, 'write', (text: string) => {
    lines.push(text);
    return true;
  });
  t.after(() => setDebug(false));
  setDebug(false);
  other.log.debug('hidden');
  setDebug(true);
  other.log.debug('shown');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /DEBUG\] shown\n$/);
});
