// hq-exec's client of the server's command host (src/command-host/): when
// the server runs on this node, a short command (`hq submit`, `hq job list`)
// runs in the host, which keeps the command line loaded, instead of in a
// new Node process. The wire format is described in
// src/command-host/wire.ts.
//
// The server directory is found as hq finds it (--server-dir, else
// $HQ_SERVER_DIR, else ~/.hq-server), its socket is hq-current/cli.sock.
// Which server the command then talks to is the host's reading of the
// whole command line, so a guess here can only cost speed: no socket, or a
// declined command, and the caller starts Node as before.
#define _GNU_SOURCE
#include "command-host-client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

struct buffer {
  char *data;
  size_t len, cap;
};

static int append(struct buffer *b, const void *data, size_t len) {
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + len) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

static int append_string(struct buffer *b, const char *s) { return append(b, s, strlen(s) + 1); }

// Writes all of `data`; to a socket without SIGPIPE, should the host be gone.
static int write_all(int fd, const char *data, size_t len, int is_socket) {
  while (len > 0) {
    ssize_t n = is_socket ? send(fd, data, len, MSG_NOSIGNAL) : write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

// 1 when all `len` bytes came, 0 at the end of the stream before any, -1 otherwise.
static int read_exact(int fd, char *data, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, data + got, len - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) return got == 0 ? 0 : -1;
    got += (size_t)n;
  }
  return 1;
}

// The server directory as hq reads it; NULL when there is none to find.
static const char *server_dir(int argc, char **argv, char *scratch, size_t size) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) break;
    if (strcmp(argv[i], "--server-dir") == 0) return i + 1 < argc ? argv[i + 1] : NULL;
    if (strncmp(argv[i], "--server-dir=", 13) == 0) return argv[i] + 13;
  }
  const char *env = getenv("HQ_SERVER_DIR");
  if (env != NULL && env[0] != '\0') return env;
  const char *home = getenv("HOME");
  if (home == NULL || home[0] == '\0') return NULL;
  if (snprintf(scratch, size, "%s/.hq-server", home) >= (int)size) return NULL;
  return scratch;
}

// A connected socket to the command host, or -1.
static int connect_host(const char *dir) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int dir_fd = -1;
  if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/hq-current/cli.sock", dir) >= (int)sizeof addr.sun_path) {
    // Too long for a socket address: through a descriptor of the directory.
    char run[PATH_MAX];
    if (snprintf(run, sizeof run, "%s/hq-current", dir) >= (int)sizeof run) return -1;
    dir_fd = open(run, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return -1;
    snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/cli.sock", dir_fd);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    close(fd);
    fd = -1;
  }
  if (dir_fd >= 0) close(dir_fd);
  return fd;
}

static int build_request(struct buffer *req, int argc, char **argv) {
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof cwd) == NULL) return -1;
  char ttys[3] = {isatty(1) ? '1' : '0', isatty(2) ? '1' : '0', '\0'};
  char count[16];
  snprintf(count, sizeof count, "%d", argc - 1);
  uint32_t zero = 0;
  if (append(req, "HQH1", 4) || append(req, &zero, 4) || append_string(req, HQ_BUILD_ID) || append_string(req, cwd) ||
      append_string(req, ttys) || append_string(req, count))
    return -1;
  for (int i = 1; i < argc; i++)
    if (append_string(req, argv[i])) return -1;
  for (char **e = environ; *e != NULL; e++)
    if (append_string(req, *e)) return -1;
  uint32_t length = (uint32_t)(req->len - 8);
  unsigned char le[4] = {length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, length >> 24};
  memcpy(req->data + 4, le, 4);
  return 0;
}

int run_in_command_host(int argc, char **argv, int *exit_code) {
  const char *off = getenv("HQ_COMMAND_HOST");
  if (off != NULL && strcmp(off, "0") == 0) return 0;
  char scratch[PATH_MAX];
  const char *dir = server_dir(argc, argv, scratch, sizeof scratch);
  if (dir == NULL) return 0;
  int fd = connect_host(dir);
  if (fd < 0) return 0;

  struct buffer req = {0};
  if (build_request(&req, argc, argv) != 0 || write_all(fd, req.data, req.len, 1) != 0) {
    free(req.data);
    close(fd);
    return 0;
  }
  free(req.data);

  // Replies, until the exit code or a refusal.
  int frames = 0, stdout_open = 1;
  char chunk[65536];
  for (;;) {
    unsigned char head[5];
    int r = read_exact(fd, (char *)head, sizeof head);
    if (r <= 0) break;
    uint32_t left = head[1] | (uint32_t)head[2] << 8 | (uint32_t)head[3] << 16 | (uint32_t)head[4] << 24;
    if (head[0] == 'd') {
      close(fd);
      return frames == 0 ? 0 : (*exit_code = 1, 1);
    }
    frames++;
    if (head[0] == 'x') {
      unsigned char code[4];
      if (left != 4 || read_exact(fd, (char *)code, 4) != 1) break;
      close(fd);
      *exit_code = code[0];
      return 1;
    }
    int out = head[0] == 'o' ? 1 : 2;
    // A closed pipe shows as EPIPE below, as it does to hq in Node.
    if (frames == 1) signal(SIGPIPE, SIG_IGN);
    while (left > 0) {
      size_t want = left < sizeof chunk ? left : sizeof chunk;
      if (read_exact(fd, chunk, want) != 1) goto lost;
      // `hq job list | head`: a closed pipe ends the printing, not the command.
      if (out == 2 || stdout_open) {
        if (write_all(out, chunk, want, 0) != 0 && out == 1) stdout_open = 0;
      }
      left -= (uint32_t)want;
    }
  }
lost:
  close(fd);
  if (frames == 0) return 0; // the host hung up before doing anything: run it here
  fprintf(stderr, "Error: lost the connection to the server's command host\n");
  *exit_code = 1;
  return 1;
}
