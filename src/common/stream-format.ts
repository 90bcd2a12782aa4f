// The stream file format of `hq submit --stream DIR`, shared by the writer
// (worker/stream-writer.ts) and the reader (client/stream-reader.ts).
//
// Stream file format, version 1 (all numbers little-endian):
//
//   file name   <writer>-<pid>-<8 hex digits>.hqs
//   header      offset  size
//                 0       8   magic "HQSTREAM"
//                 8       2   u16 format version (1)
//                10       2   u16 header length in bytes (everything up to the first record)
//                12       4   u32 pid of the writer
//                16       8   f64 creation time, ms since the epoch
//                24       2   u16 byte length U, then U bytes: server uid (UTF-8)
//              26+U       2   u16 byte length W, then W bytes: writer name (UTF-8, e.g. the hostname)
//   records     back to back until the end of the file, each:
//                 0       1   u8 kind: 1 = task started, 2 = output data, 3 = task ended
//                 1       1   u8 data: channel (0 = stdout, 1 = stderr); ended: 1 = finished, 0 = failed; started: 0
//                 2       2   u16 reserved, 0
//                 4       4   u32 job id
//                 8       4   u32 task id
//                12       4   u32 instance id (each restart of a task has a larger one)
//                16       8   f64 time, ms since the epoch (orders records across files)
//               [24       4   u32 byte length N, then N bytes of output  -- data records only]
//
// Records are appended in batches (a buffer flushed when it fills up, when a
// timer fires, or on flush()/close()), never rewritten. A reader may
// therefore find a partial record at the end of a file: the writer is still
// writing, or it died. Everything before that point stays readable.

export const STREAM_FILE_SUFFIX = '.hqs';
export const STREAM_MAGIC = Buffer.from('HQSTREAM', 'latin1');
export const STREAM_FORMAT_VERSION = 1;
/** Bytes before the server uid in the header. */
export const STREAM_HEADER_FIXED_SIZE = 24;

export const RECORD_TASK_STARTED = 1;
export const RECORD_DATA = 2;
export const RECORD_TASK_ENDED = 3;
/** Size of every record without its data. */
export const RECORD_HEADER_SIZE = 24;
/** Size of a data record without its bytes. */
export const DATA_RECORD_HEADER_SIZE = 28;
