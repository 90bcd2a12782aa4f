// hq-exec, what the `hq` command (hq.cjs run as a program) hands over to.
// It starts Node from the startup snapshot built beside it (hq.blob, see
// src/cli/snapshot-entry.ts), so that a command begins with the command
// line's code already loaded:
//
//   node <flag> --snapshot-blob <dir>/hq.blob -- <dir> <arguments>
//
// where <flag> is the V8 flag the snapshot was written under (HQ_SNAPSHOT_FLAG,
// see src/build/bundle.ts).
// A snapshot fits only the Node binary that wrote it, which the build names
// here (HQ_NODE, with its size and modification time). When that binary is
// gone or has changed, or the snapshot is missing, the plain bundle runs
// instead: <node> <dir>/hq.cjs <arguments>, with HQ_NODE if it still exists,
// else the `node` on PATH. So does it when NODE_OPTIONS is set: V8 flags
// there make Node refuse the snapshot, and other options would be ignored
// by it.
//
// Before any of that, a command line the server's command host can run is
// sent there (command-host-client.c), when that server runs on this node.
// Node starts without NODE_EXTRA_CA_CERTS unless it becomes a server or a
// worker (see below).
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command-host-client.h"

#ifndef HQ_SNAPSHOT_FLAG
#error "build with -DHQ_SNAPSHOT_FLAG=\"<the V8 flag hq.blob was written under>\""
#endif
#ifndef HQ_NODE
#error "build with -DHQ_NODE=\"/path/to/node\" -DHQ_NODE_SIZE=<bytes> -DHQ_NODE_MTIME=<seconds>"
#endif

// Whether the command line starts a server or a worker: the words `server`
// or `worker`, and `start`, before any `--`. A false yes only costs time.
static int starts_server_or_worker(int argc, char **argv) {
  int role = 0, start = 0;
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "server") == 0 || strcmp(argv[i], "worker") == 0) role = 1;
    if (strcmp(argv[i], "start") == 0) start = 1;
  }
  return role && start;
}

static int same_node(const struct stat *st) {
  return (long long)st->st_size == (long long)HQ_NODE_SIZE && (long long)st->st_mtim.tv_sec == (long long)HQ_NODE_MTIME;
}

int main(int argc, char **argv) {
  int exit_code;
  if (run_in_command_host(argc, argv, &exit_code)) return exit_code;

  // The directory of this executable: the bundles and the snapshot lie beside it.
  char dir[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
  if (n <= 0) {
    fprintf(stderr, "hq: cannot find its own location: %s\n", strerror(errno));
    return 127;
  }
  dir[n] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash == NULL) return 127;
  *slash = '\0';

  char blob[PATH_MAX], script[PATH_MAX];
  if (snprintf(blob, sizeof blob, "%s/hq.blob", dir) >= (int)sizeof blob ||
      snprintf(script, sizeof script, "%s/hq.cjs", dir) >= (int)sizeof script) {
    fprintf(stderr, "hq: path too long: %s\n", dir);
    return 127;
  }

  // Node reads the certificate bundle NODE_EXTRA_CA_CERTS names as it starts
  // (some 50 ms for a system's whole bundle), although no hq command makes a
  // TLS connection. A server and a worker keep it: a worker's tasks inherit
  // its environment, and so will workers a server starts.
  if (!starts_server_or_worker(argc, argv)) unsetenv("NODE_EXTRA_CA_CERTS");

  char **args = calloc((size_t)argc + 6, sizeof *args);
  if (args == NULL) return 127;
  struct stat st;
  int node_exists = stat(HQ_NODE, &st) == 0;
  const char *node_options = getenv("NODE_OPTIONS");
  int plain = node_options != NULL && node_options[0] != '\0';
  if (!plain && node_exists && same_node(&st) && access(blob, R_OK) == 0) {
    int k = 0;
    args[k++] = HQ_NODE;
    args[k++] = HQ_SNAPSHOT_FLAG;
    args[k++] = "--snapshot-blob";
    args[k++] = blob;
    args[k++] = "--";
    args[k++] = dir;
    for (int i = 1; i < argc; i++) args[k++] = argv[i];
    execv(HQ_NODE, args);
    // Not startable after all: the plain bundle below.
  }
  int k = 0;
  args[k++] = node_exists ? HQ_NODE : "node";
  args[k++] = script;
  for (int i = 1; i < argc; i++) args[k++] = argv[i];
  args[k] = NULL;
  execvp(args[0], args);
  fprintf(stderr, "hq: cannot run %s: %s\n", args[0], strerror(errno));
  return 127;
}
