import test from 'node:test';
import assert from 'node:assert/strict';
import { JobCatalog } from '../../src/worker/job-catalog.js';
import { JobDefinitionT, TaskTemplateT } from '../../src/transport/generated/protocol.js';
import { encodeJobDefinition } from '../../src/transport/worker-codec.js';
import { programToT, rangesToT, variantsToT } from '../../src/transport/common-codec.js';

/** An encoded definition part of `jobId` with one template per [first, last, command] entry. */
function part(jobId: number, submitDir: string, templates: Array<[number, number, string]>): Uint8Array {
  return encodeJobDefinition(
    new JobDefinitionT(
      jobId,
      submitDir,
      '',
      templates.map(
        ([start, end, command]) =>
          new TaskTemplateT(
            rangesToT([{ start, end, step: 1 }]),
            [],
            programToT({ args: [command], env: {}, cwd: '', stdout: '', stderr: '' }),
            variantsToT([{ nodes: 0, resources: [{ name: 'cpus', amount: 1, policy: 'compact' }] }]),
            0,
            false,
            '',
            0,
          ),
      ),
    ),
  );
}

function commandOf(catalog: JobCatalog, jobId: number, taskId: number): string | undefined {
  const job = catalog.get(jobId);
  return job && catalog.template(job, taskId)?.program.args[0];
}

test('a definition kept encoded is read when its job is first asked for', () => {
  const catalog = new JobCatalog();
  catalog.addEncoded(7, part(7, '/home/u/run', [[1, 10, 'first']]));
  const job = catalog.get(7);
  assert.equal(job?.submitDir, '/home/u/run');
  assert.equal(commandOf(catalog, 7, 5), 'first');
  assert.equal(catalog.get(8), undefined);
});

test('parts of an open job, before and after it was read, add their templates in order', () => {
  const catalog = new JobCatalog();
  catalog.addEncoded(3, part(3, '/d', [[0, 4, 'a']]));
  catalog.addEncoded(3, part(3, '/d', [[5, 9, 'b']]));
  assert.equal(commandOf(catalog, 3, 2), 'a');
  assert.equal(commandOf(catalog, 3, 7), 'b');
  // A later submission into the open job, after its tasks already ran.
  catalog.addEncoded(3, part(3, '/d', [[10, 12, 'c']]));
  assert.equal(commandOf(catalog, 3, 11), 'c');
  assert.equal(commandOf(catalog, 3, 1), 'a');
  assert.equal(catalog.get(3)?.templates.length, 3);
});

test('a part taken from a frame survives the frame buffer being reused', () => {
  const catalog = new JobCatalog();
  const definition = part(4, '/work', [[1, 3, 'echo']]);
  const frame = new Uint8Array(definition.length + 16);
  frame.set(definition, 8);
  catalog.addEncoded(4, frame.subarray(8, 8 + definition.length));
  frame.fill(0);
  assert.equal(commandOf(catalog, 4, 2), 'echo');
});

test('forgetting a job drops its unread parts', () => {
  const catalog = new JobCatalog();
  catalog.addEncoded(9, part(9, '/x', [[1, 1, 'x']]));
  catalog.forget(9);
  assert.equal(catalog.get(9), undefined);
});
