// Encoding of the messages between the server and its workers
// (schema/worker.fbs). Task batches go through typed arrays, never one object
// per task.
import * as fb from 'flatbuffers';
import { CheckedByteBuffer } from './checked-byte-buffer.js';
import { ProtocolError } from '../common/errors.js';
import {
  AssignMultiNode,
  AssignTasks,
  StealResponse,
  StealTasks,
  TaskAssignment,
  CancelTasks,
  Heartbeat,
  ServerPayload,
  ServerToWorker,
  StopWorker,
  TaskFailure,
  TaskUpdates,
  WorkerMessage,
  WorkerPayload,
  WorkerRegistered,
  WorkerRegisterT,
  WorkerStopping,
  JobDefinition,
  JobDefinitionT,
  ForgetJobs,
} from './generated/protocol.js';
import { readStructWords, writeStructWords } from './struct-vector.js';

/** Words per TaskAssignment struct: row, instance, job, task, variant. */
export const ASSIGNMENT_WORDS = 5;
/** Words per TaskRef struct: row, instance. */
export const TASK_REF_WORDS = 2;

const builder = new fb.Builder(1 << 16);

function finish(offset: fb.Offset): Uint8Array {
  builder.finish(offset);
  const out = builder.asUint8Array().slice();
  builder.clear();
  return out;
}

function serverMessage(type: ServerPayload, payload: fb.Offset): Uint8Array {
  return finish(ServerToWorker.createServerToWorker(builder, type, payload));
}

function workerMessage(type: WorkerPayload, payload: fb.Offset): Uint8Array {
  return finish(WorkerMessage.createWorkerMessage(builder, type, payload));
}

// ---- server -> worker ----

export function encodeRegistered(workerId: number, serverUid: string, idleTimeoutSecs: number): Uint8Array {
  const uid = builder.createString(serverUid);
  return serverMessage(
    ServerPayload.WorkerRegistered,
    WorkerRegistered.createWorkerRegistered(builder, workerId, uid, idleTimeoutSecs),
  );
}

export function encodeJobDefinition(def: JobDefinitionT): Uint8Array {
  return serverMessage(ServerPayload.JobDefinition, def.pack(builder));
}

/** A job's id and one part of its definition, encoded as `encodeJobDefinition` made it. */
export type DefinitionPart = readonly [jobId: number, encoded: Uint8Array];

/** Bytes before each definition in an assignment: its job id and its length. */
const DEFINITION_HEADER = 8;

/**
 * `words` holds `count` assignments of ASSIGNMENT_WORDS each; `definitions`,
 * the definitions the worker needs first, travel in the same frame: one
 * frame to seal, send and open instead of one more per job.
 */
export function encodeAssign(words: Uint32Array, count: number, definitions: readonly DefinitionPart[] = []): Uint8Array {
  let packed = 0;
  if (definitions.length > 0) {
    let size = 0;
    for (const [, encoded] of definitions) size += DEFINITION_HEADER + encoded.length;
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    for (const [jobId, encoded] of definitions) {
      bytes.writeUInt32LE(jobId, at);
      bytes.writeUInt32LE(encoded.length, at + 4);
      bytes.set(encoded, at + DEFINITION_HEADER);
      at += DEFINITION_HEADER + encoded.length;
    }
    packed = builder.createByteVector(bytes);
  }
  const tasks = writeStructWords(builder, words, count, ASSIGNMENT_WORDS);
  AssignTasks.startAssignTasks(builder);
  AssignTasks.addTasks(builder, tasks);
  if (packed !== 0) AssignTasks.addDefinitions(builder, packed);
  return serverMessage(ServerPayload.AssignTasks, AssignTasks.endAssignTasks(builder));
}

/** `words` holds `count` task refs of TASK_REF_WORDS each. */
export function encodeCancel(words: Uint32Array, count: number): Uint8Array {
  const tasks = writeStructWords(builder, words, count, TASK_REF_WORDS);
  return serverMessage(ServerPayload.CancelTasks, CancelTasks.createCancelTasks(builder, tasks));
}

/** `task` holds one assignment (ASSIGNMENT_WORDS); hostnames of all its workers, the runner first. */
export function encodeAssignMultiNode(task: Uint32Array, hostnames: string[]): Uint8Array {
  const names = AssignMultiNode.createHostnamesVector(builder, hostnames.map((h) => builder.createString(h)));
  AssignMultiNode.startAssignMultiNode(builder);
  AssignMultiNode.addTask(builder, TaskAssignment.createTaskAssignment(builder, task[0]!, task[1]!, task[2]!, task[3]!, task[4]!));
  AssignMultiNode.addHostnames(builder, names);
  return serverMessage(ServerPayload.AssignMultiNode, AssignMultiNode.endAssignMultiNode(builder));
}

/** `words` holds `count` task refs of TASK_REF_WORDS each. */
export function encodeSteal(words: Uint32Array, count: number): Uint8Array {
  const tasks = writeStructWords(builder, words, count, TASK_REF_WORDS);
  return serverMessage(ServerPayload.StealTasks, StealTasks.createStealTasks(builder, tasks));
}

export function encodeStop(reason: string): Uint8Array {
  const text = builder.createString(reason);
  return serverMessage(ServerPayload.StopWorker, StopWorker.createStopWorker(builder, text));
}

/** The jobs that ended, whose definitions a worker may drop. */
export function encodeForgetJobs(jobIds: Uint32Array): Uint8Array {
  const jobs = ForgetJobs.createJobsVector(builder, jobIds);
  return serverMessage(ServerPayload.ForgetJobs, ForgetJobs.createForgetJobs(builder, jobs));
}

export function forgottenJobs(msg: ForgetJobs): Uint32Array {
  // A [uint32] is laid out as a vector of one-word structs.
  return readStructWords(msg as never, 4, 1);
}

export function decodeServerMessage(bytes: Uint8Array): ServerToWorker {
  return ServerToWorker.getRootAsServerToWorker(new fb.ByteBuffer(bytes));
}

/** The job definition an encoded server message (as `encodeJobDefinition` made it) carries, as objects. */
export function decodeJobDefinition(bytes: Uint8Array): JobDefinitionT {
  const msg = decodeServerMessage(bytes);
  if (msg.payloadType() !== ServerPayload.JobDefinition) throw new ProtocolError('not a job definition');
  return (msg.payload(new JobDefinition()) as JobDefinition).unpack();
}

/**
 * Calls `take` with each definition an assignment carries (job id, and a
 * view of the encoded definition inside the frame), in the order sent.
 */
export function forEachDefinition(msg: AssignTasks, take: (jobId: number, encoded: Uint8Array) => void): void {
  const bytes = msg.definitionsArray();
  if (bytes === null) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < bytes.length; ) {
    if (at + DEFINITION_HEADER > bytes.length) throw new ProtocolError('truncated job definition in an assignment');
    const jobId = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    const start = at + DEFINITION_HEADER;
    if (length > bytes.length - start) throw new ProtocolError('truncated job definition in an assignment');
    take(jobId, bytes.subarray(start, start + length));
    at = start + length;
  }
}

export function assignmentWords(msg: AssignTasks): Uint32Array {
  return readStructWords(msg as never, 4, ASSIGNMENT_WORDS);
}

export function cancelWords(msg: CancelTasks): Uint32Array {
  return readStructWords(msg as never, 4, TASK_REF_WORDS);
}

// ---- worker -> server ----

export function encodeRegister(reg: WorkerRegisterT): Uint8Array {
  return workerMessage(WorkerPayload.WorkerRegister, reg.pack(builder));
}

export interface FailureRecord {
  row: number;
  instance: number;
  error: string;
}

export function encodeUpdates(
  started: Uint32Array,
  startedCount: number,
  finished: Uint32Array,
  finishedCount: number,
  failed: readonly FailureRecord[],
): Uint8Array {
  let failedVec = 0;
  if (failed.length > 0) {
    const offsets = failed.map((f) =>
      TaskFailure.createTaskFailure(builder, f.row, f.instance, builder.createString(f.error)),
    );
    failedVec = TaskUpdates.createFailedVector(builder, offsets);
  }
  const startedVec = startedCount > 0 ? writeStructWords(builder, started, startedCount, TASK_REF_WORDS) : 0;
  const finishedVec = finishedCount > 0 ? writeStructWords(builder, finished, finishedCount, TASK_REF_WORDS) : 0;
  TaskUpdates.startTaskUpdates(builder);
  if (startedVec) TaskUpdates.addStarted(builder, startedVec);
  if (finishedVec) TaskUpdates.addFinished(builder, finishedVec);
  if (failedVec) TaskUpdates.addFailed(builder, failedVec);
  return workerMessage(WorkerPayload.TaskUpdates, TaskUpdates.endTaskUpdates(builder));
}

export function encodeStealResponse(returned: Uint32Array, started: Uint32Array): Uint8Array {
  const r = writeStructWords(builder, returned, returned.length / TASK_REF_WORDS, TASK_REF_WORDS);
  const st = writeStructWords(builder, started, started.length / TASK_REF_WORDS, TASK_REF_WORDS);
  return workerMessage(WorkerPayload.StealResponse, StealResponse.createStealResponse(builder, r, st));
}

export function encodeHeartbeat(): Uint8Array {
  Heartbeat.startHeartbeat(builder);
  return workerMessage(WorkerPayload.Heartbeat, Heartbeat.endHeartbeat(builder));
}

export function encodeStopping(reason: string): Uint8Array {
  const text = builder.createString(reason);
  return workerMessage(WorkerPayload.WorkerStopping, WorkerStopping.createWorkerStopping(builder, text));
}

export function decodeWorkerMessage(bytes: Uint8Array): WorkerMessage {
  // Worker frames are decoded by the server: a bad one must fail, not run away.
  return WorkerMessage.getRootAsWorkerMessage(new CheckedByteBuffer(bytes));
}

export function startedWords(msg: TaskUpdates): Uint32Array {
  return readStructWords(msg as never, 4, TASK_REF_WORDS);
}

export function stealWords(msg: StealTasks): Uint32Array {
  return readStructWords(msg as never, 4, TASK_REF_WORDS);
}

export function stealResponseWords(msg: StealResponse): { returned: Uint32Array; started: Uint32Array } {
  return { returned: readStructWords(msg as never, 4, TASK_REF_WORDS), started: readStructWords(msg as never, 6, TASK_REF_WORDS) };
}

export function finishedWords(msg: TaskUpdates): Uint32Array {
  return readStructWords(msg as never, 6, TASK_REF_WORDS);
}
