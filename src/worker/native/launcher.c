/*
 * hq-launcher: starts task processes for a worker with posix_spawn.
 *
 * Node's child_process forks the whole worker process, which costs
 * milliseconds once the worker's heap grows; posix_spawn from this small
 * process costs what the kernel needs to start the program. The worker talks
 * to it over two pipes:
 *
 * request (stdin), little-endian:
 *   u32 length of the rest, u32 id, u32 argc, u32 envc,
 *   then NUL-terminated strings: cwd, stdin path, stdout path, stderr path, argv..., env...
 *   (an empty path means /dev/null; stderr "\x01" means "same as stdout";
 *   env entries are KEY=VALUE and override the launcher's own environment)
 * reply (stdout): u32 id, u32 kind, i32 value
 *   kind 0: started, value = pid (the task leads its own process group)
 *   kind 1: exited, value = exit code
 *   kind 2: killed by a signal, value = signal number
 *   kind 3: could not start, value = errno
 * End of stdin: the launcher kills what still runs and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct running {
  pid_t pid;
  uint32_t id;
};

static struct running *tasks;
static size_t task_count, task_cap;

static unsigned char *inbuf;
static size_t in_len, in_cap;

static unsigned char outbuf[65536];
static size_t out_len;

static void kill_all(void);

static void flush_out(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t n = write(1, outbuf + off, out_len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      kill_all(); /* nobody listens any more */
    }
    off += (size_t)n;
  }
  out_len = 0;
}

static void reply(uint32_t id, uint32_t kind, int32_t value) {
  if (out_len + 12 > sizeof outbuf) flush_out();
  memcpy(outbuf + out_len, &id, 4);
  memcpy(outbuf + out_len + 4, &kind, 4);
  memcpy(outbuf + out_len + 8, &value, 4);
  out_len += 12;
}

static void remember(pid_t pid, uint32_t id) {
  if (task_count == task_cap) {
    task_cap = task_cap ? task_cap * 2 : 64;
    tasks = realloc(tasks, task_cap * sizeof *tasks);
    if (!tasks) exit(1);
  }
  tasks[task_count].pid = pid;
  tasks[task_count].id = id;
  task_count++;
}

static int signal_fd;

static int forget(pid_t pid, uint32_t *id) {
  for (size_t i = 0; i < task_count; i++) {
    if (tasks[i].pid == pid) {
      *id = tasks[i].id;
      tasks[i] = tasks[--task_count];
      return 1;
    }
  }
  return 0;
}

static void reap(void);
static void drain_signals(void);

static void kill_all(void) {
  for (size_t i = 0; i < task_count; i++) kill(-tasks[i].pid, SIGKILL);
  out_len = 0;
  while (task_count > 0) {
    struct pollfd f = {.fd = signal_fd, .events = POLLIN};
    poll(&f, 1, 1000);
    drain_signals();
    size_t before = task_count;
    for (;;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      uint32_t id;
      forget(pid, &id);
    }
    if (task_count == before && poll(&f, 1, 0) == 0) {
      /* Not our children any more (reaped elsewhere): stop waiting. */
      break;
    }
  }
  exit(0);
}

static size_t key_length(const char *entry) {
  const char *eq = strchr(entry, '=');
  return eq ? (size_t)(eq - entry) : strlen(entry);
}

/* The launcher's environment with the request's entries replacing or adding keys. */
static char **merge_env(char **extra, uint32_t envc) {
  size_t base = 0;
  while (environ[base]) base++;
  char **env = malloc((base + envc + 1) * sizeof *env);
  if (!env) return NULL;
  size_t n = 0;
  for (size_t i = 0; i < base; i++) {
    size_t klen = key_length(environ[i]);
    int replaced = 0;
    for (uint32_t j = 0; j < envc && !replaced; j++) {
      replaced = key_length(extra[j]) == klen && strncmp(extra[j], environ[i], klen) == 0;
    }
    if (!replaced) env[n++] = environ[i];
  }
  for (uint32_t j = 0; j < envc; j++) env[n++] = extra[j];
  env[n] = NULL;
  return env;
}

static sigset_t default_mask;

static void start(uint32_t id, uint32_t argc, uint32_t envc, char *p, char *end) {
  char *strings[4];
  for (int i = 0; i < 4; i++) {
    strings[i] = p;
    p += strlen(p) + 1;
  }
  char **argv = malloc((argc + 1) * sizeof *argv);
  char **extra = malloc((envc + 1) * sizeof *extra);
  if (!argv || !extra || argc == 0) {
    reply(id, 3, argc == 0 ? EINVAL : ENOMEM);
    free(argv);
    free(extra);
    return;
  }
  for (uint32_t i = 0; i < argc && p < end; i++) {
    argv[i] = p;
    p += strlen(p) + 1;
  }
  argv[argc] = NULL;
  for (uint32_t i = 0; i < envc && p < end; i++) {
    extra[i] = p;
    p += strlen(p) + 1;
  }
  char **env = merge_env(extra, envc);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, strings[1][0] ? strings[1] : "/dev/null", O_RDONLY, 0);
  const char *out = strings[2][0] ? strings[2] : "/dev/null";
  posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (strings[3][0] == '\x01') {
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    const char *err = strings[3][0] ? strings[3] : "/dev/null";
    posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (strings[0][0]) posix_spawn_file_actions_addchdir_np(&actions, strings[0]);
  /* Own process group (so a cancel ends the whole tree), default signals, empty mask. */
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &default_mask);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);

  pid_t pid;
  int rc = env ? posix_spawnp(&pid, argv[0], &actions, &attr, argv, env) : ENOMEM;
  if (rc == 0) {
    remember(pid, id);
    reply(id, 0, pid);
  } else {
    reply(id, 3, rc);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  free(env);
  free(argv);
  free(extra);
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    uint32_t id;
    if (!forget(pid, &id)) continue;
    if (WIFEXITED(status)) reply(id, 1, WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) reply(id, 2, WTERMSIG(status));
  }
}

static int read_requests(void) {
  if (in_cap - in_len < 65536) {
    in_cap = in_cap ? in_cap * 2 : 1 << 20;
    inbuf = realloc(inbuf, in_cap);
    if (!inbuf) exit(1);
  }
  ssize_t n = read(0, inbuf + in_len, in_cap - in_len);
  if (n == 0) return 0;
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  in_len += (size_t)n;
  size_t off = 0;
  while (in_len - off >= 4) {
    uint32_t len;
    memcpy(&len, inbuf + off, 4);
    if (in_len - off - 4 < len) break;
    unsigned char *msg = inbuf + off + 4;
    if (len >= 12) {
      uint32_t id, argc, envc;
      memcpy(&id, msg, 4);
      memcpy(&argc, msg + 4, 4);
      memcpy(&envc, msg + 8, 4);
      /* Strings must end inside the message. */
      if (msg[len - 1] == 0) start(id, argc, envc, (char *)msg + 12, (char *)msg + len);
      else reply(id, 3, EINVAL);
    }
    off += 4 + len;
  }
  memmove(inbuf, inbuf + off, in_len - off);
  in_len -= off;
  return 1;
}

static void drain_signals(void) {
  struct signalfd_siginfo info;
  while (read(signal_fd, &info, sizeof info) > 0) {
  }
}

int main(void) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, NULL, &default_mask);
  sigdelset(&default_mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) return 1;

  struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = signal_fd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      drain_signals();
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!read_requests()) break;
    }
    flush_out();
  }
  /* The worker is gone: end every task it left behind. */
  kill_all();
  return 0;
}
