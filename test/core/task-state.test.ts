import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskState, isTerminal, taskStateName } from '../../src/core/task-state.js';

test('state names show a queued task as waiting', () => {
  assert.equal(taskStateName(TaskState.Waiting), 'WAITING');
  assert.equal(taskStateName(TaskState.Assigned), 'WAITING');
  assert.equal(taskStateName(TaskState.Running), 'RUNNING');
  assert.equal(taskStateName(TaskState.Finished), 'FINISHED');
  assert.equal(taskStateName(TaskState.Failed), 'FAILED');
  assert.equal(taskStateName(TaskState.Canceled), 'CANCELED');
  assert.throws(() => taskStateName(9 as TaskState), RangeError);
});

test('only finished, failed and canceled are terminal', () => {
  assert.deepEqual(
    [TaskState.Waiting, TaskState.Assigned, TaskState.Running, TaskState.Finished, TaskState.Failed, TaskState.Canceled].map(isTerminal),
    [false, false, false, true, true, true],
  );
});
