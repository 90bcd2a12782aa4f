// A full garbage collection of the calling thread, on demand. Memory of a
// SharedArrayBuffer goes back to the system only when every thread that saw
// it has collected the object, and an idle server may not collect for a long
// time: after it lets go of task table chunks, it asks for a collection.
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null = null;

export function collectGarbage(): void {
  if (gc === null) {
    // Makes `gc` a global of contexts created from now on; the server creates none of its own.
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
