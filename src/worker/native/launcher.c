/*
 * hq-launcher: starts task processes for a worker.
 *
 * Node's child_process forks the whole worker process, which costs
 * milliseconds once the worker's heap grows; vfork+exec from this small
 * process costs what the kernel needs to start the program. The launcher
 * also keeps a short queue of tasks per resource shape, so that when a task
 * ends the next one starts at once, without a round trip through the worker.
 *
 * Terms (see launcher.ts for the worker's side):
 *   template  what the tasks of one job submission share: argv, environment
 *             changes, working directory, stdin, and where stdout/stderr go;
 *   lane      resources the worker allocated for one task at a time, with the
 *             environment entries (HQ_CPUS, ...) and argv prefix (taskset)
 *             that go with them; each lane belongs to a class;
 *   class     tasks that fit any lane of the class; a task pushed into a
 *             class starts on an idle lane at once, or waits in the class's
 *             queue until a lane of the class frees up.
 *
 * Requests (stdin) and replies (stdout) are frames: u32 length of the rest,
 * u8 type, then the fields (little-endian; strings NUL-terminated).
 *
 * requests
 *   1 TEMPLATE   u32 id, u8 stdout mode, u8 stderr mode, u16 argc, u16 envc,
 *                u16 task key count; strings: cwd, stdin path, argv...,
 *                env... (KEY=VALUE sets, KEY removes), task keys...
 *                modes: 0 /dev/null, 1 file (path per task), 2 pipe (relayed
 *                as OUTPUT replies), 3 same as stdout (stderr only)
 *   2 CLASS      u32 id, u32 low water (see "replies are batched" below),
 *                u8 flags (1 = report each start at once)
 *   3 LANE       u32 id, u32 class, u8 flags (1 = closes after one task),
 *                u16 argv prefix count, u16 envc; strings: prefix..., env...
 *   4 CLOSE_IDLE u32 class, u32 count: closes up to count idle lanes
 *   5 START      u32 task, u32 template, u32 class, u8 flags (1 cwd, 2 stdout
 *                path, 4 stderr path given), u16 envc; strings: [cwd],
 *                [stdout], [stderr], env... (KEY=VALUE, keys among the
 *                template's task keys)
 *   6 DROP       u32 task: removes it from its queue if it has not started
 *   7 FORGET     u32 template: frees a template no task will use again (its
 *                job ended); a task of it still queued ends with ENOENT
 * replies
 *   1 STARTED    u32 task, i32 pid (the task leads its own process group)
 *   2 ENDED      u32 task, u8 how, i32 value, u32 microseconds it ran
 *                how: 0 exited (value = code), 1 killed (value = signal),
 *                2 could not start (value = errno), 3 dropped
 *   3 OUTPUT     u32 task, u8 channel (0 stdout, 1 stderr), bytes...
 *   4 CLOSED     u32 lane
 * A task with piped output ends once it exited and both pipes are drained,
 * so all its OUTPUT replies come before its ENDED.
 *
 * Replies are batched: they are written when a lane goes idle, when a task
 * of a class that asks for it starts, when a class's queue drops to its low
 * water mark (once until it is refilled above it), on errors, or at the
 * latest FLUSH_NS after the first unwritten one.
 *
 * End of stdin, or the death of the worker (PR_SET_PDEATHSIG): the launcher
 * ends every task it started (SIGTERM to its process group, SIGKILL two
 * seconds later if anything is left) and exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define FLUSH_NS 20000000LL  /* longest a reply waits in the buffer */
#define OUT_HIGH (64 * 1024)
#define PIPE_CHUNK (64 * 1024)

enum { REQ_TEMPLATE = 1, REQ_CLASS, REQ_LANE, REQ_CLOSE_IDLE, REQ_START, REQ_DROP, REQ_FORGET };
enum { REP_STARTED = 1, REP_ENDED, REP_OUTPUT, REP_CLOSED };
enum { MODE_NULL = 0, MODE_FILE, MODE_PIPE, MODE_SAME };
enum { END_EXITED = 0, END_SIGNALED, END_ERROR, END_DROPPED };
enum { START_CWD = 1, START_STDOUT = 2, START_STDERR = 4 };

static void die(const char *what) {
  fprintf(stderr, "hq-launcher: %s\n", what);
  exit(2);
}

static void *grow(void *p, size_t size) {
  void *q = realloc(p, size);
  if (!q) die("out of memory");
  return q;
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* ---- reading frames ---- */

typedef struct {
  unsigned char *p, *end;
  int bad;
} reader;

static uint32_t rd_u32(reader *r) {
  uint32_t v = 0;
  if (r->end - r->p < 4) r->bad = 1;
  else memcpy(&v, r->p, 4), r->p += 4;
  return v;
}

static uint16_t rd_u16(reader *r) {
  uint16_t v = 0;
  if (r->end - r->p < 2) r->bad = 1;
  else memcpy(&v, r->p, 2), r->p += 2;
  return v;
}

static uint8_t rd_u8(reader *r) {
  if (r->end - r->p < 1) {
    r->bad = 1;
    return 0;
  }
  return *r->p++;
}

static char *rd_str(reader *r) {
  unsigned char *z = r->bad ? NULL : memchr(r->p, 0, (size_t)(r->end - r->p));
  if (!z) {
    r->bad = 1;
    return "";
  }
  char *s = (char *)r->p;
  r->p = z + 1;
  return s;
}

/* Length of the key of a KEY=VALUE (or bare KEY) entry. */
static size_t key_length(const char *entry) {
  const char *eq = strchr(entry, '=');
  return eq ? (size_t)(eq - entry) : strlen(entry);
}

static int same_key(const char *a, size_t alen, const char *b, size_t blen) {
  return alen == blen && memcmp(a, b, alen) == 0;
}

/* ---- replies ---- */

static unsigned char *outbuf;
static size_t out_len, out_cap;
static int64_t out_since; /* when the oldest unwritten reply was made */
static int urgent;

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
  urgent = 0;
}

static unsigned char *reply(uint8_t type, size_t body) {
  if (out_len + 5 + body > out_cap) {
    if (out_len > 0) flush_out();
    if (5 + body > out_cap) {
      out_cap = 5 + body;
      outbuf = grow(outbuf, out_cap);
    }
  }
  if (out_len == 0) out_since = now_ns();
  unsigned char *at = outbuf + out_len;
  uint32_t len = (uint32_t)(1 + body);
  memcpy(at, &len, 4);
  at[4] = type;
  out_len += 5 + body;
  return at + 5;
}

static void reply_started(uint32_t task, int32_t pid) {
  unsigned char *b = reply(REP_STARTED, 8);
  memcpy(b, &task, 4);
  memcpy(b + 4, &pid, 4);
}

static void reply_ended(uint32_t task, uint8_t how, int32_t value, uint32_t micros) {
  unsigned char *b = reply(REP_ENDED, 13);
  memcpy(b, &task, 4);
  b[4] = how;
  memcpy(b + 5, &value, 4);
  memcpy(b + 9, &micros, 4);
  if (how >= END_ERROR) urgent = 1;
}

static void reply_closed(uint32_t lane) {
  memcpy(reply(REP_CLOSED, 4), &lane, 4);
  urgent = 1;
}

/* ---- templates, lanes, classes ---- */

struct template {
  int defined;
  unsigned char *blob;
  char **argv;
  char *path; /* argv[0] found on PATH, or NULL: execvpe searches */
  char **env; /* base environment, without the task keys */
  size_t *keylen;
  size_t envc;
  uint32_t task_keys;
  char *cwd, *stdin_path;
  uint8_t out_mode, err_mode;
};

struct fifo {
  unsigned char *buf;
  size_t head, tail, cap;
  uint32_t count;
};

struct klass {
  int defined;
  int prompt_starts;
  int low_told; /* the worker was told the queue is down to its low water mark */
  uint32_t low_water;
  uint32_t idle; /* open lanes without a task */
  struct fifo queue;
};

struct lane {
  int open, busy, once, ran;
  uint32_t cls;
  unsigned char *blob;
  char **prefix;
  char *prefix_path;
  uint32_t prefixc;
  char **env;
  size_t *keylen;
  uint32_t envc;
  /* argv and environment built for one template at a time */
  uint32_t built_for;
  char **envp, **argv;
  size_t envp_cap, argv_cap;
};

static struct template *templates;
static size_t template_cap;
static struct klass *classes;
static size_t class_cap;
static struct lane *lanes;
static size_t lane_cap;

#define SLOT(array, cap, id)                                                     \
  do {                                                                           \
    if ((id) >= (cap)) {                                                         \
      size_t n = (cap) ? (cap) : 16;                                             \
      while (n <= (id)) n *= 2;                                                  \
      array = grow(array, n * sizeof *(array));                                  \
      memset((array) + (cap), 0, (n - (cap)) * sizeof *(array));                 \
      (cap) = n;                                                                 \
    }                                                                            \
  } while (0)

static struct template *template_of(uint32_t id) {
  return id < template_cap && templates[id].defined ? &templates[id] : NULL;
}

static struct klass *class_of(uint32_t id) {
  return id < class_cap && classes[id].defined ? &classes[id] : NULL;
}

/* The absolute path of a program name found on the launcher's PATH, or NULL. */
static char *find_on_path(const char *name) {
  if (!name[0] || strchr(name, '/')) return NULL;
  const char *path = getenv("PATH");
  if (!path) path = "/bin:/usr/bin";
  size_t nlen = strlen(name);
  while (*path) {
    const char *end = strchrnul(path, ':');
    size_t dlen = (size_t)(end - path);
    /* Only absolute entries: a relative one depends on the task's cwd. */
    if (dlen > 0 && path[0] == '/') {
      char *full = grow(NULL, dlen + 1 + nlen + 1);
      memcpy(full, path, dlen);
      full[dlen] = '/';
      memcpy(full + dlen + 1, name, nlen + 1);
      struct stat st;
      if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) return full;
      free(full);
    }
    path = *end ? end + 1 : end;
  }
  return NULL;
}

static unsigned char *copy_body(reader *r) {
  size_t n = (size_t)(r->end - r->p);
  unsigned char *blob = grow(NULL, n ? n : 1);
  memcpy(blob, r->p, n);
  r->end = blob + n;
  r->p = blob;
  return blob;
}

static void define_template(reader *r) {
  uint32_t id = rd_u32(r);
  uint8_t out_mode = rd_u8(r), err_mode = rd_u8(r);
  uint16_t argc = rd_u16(r), envc = rd_u16(r), keyc = rd_u16(r);
  if (r->bad || id == 0 || argc == 0 || out_mode > MODE_PIPE || err_mode > MODE_SAME) die("bad TEMPLATE");
  SLOT(templates, template_cap, id);
  struct template *t = &templates[id];
  if (t->defined) die("TEMPLATE defined twice");
  t->blob = copy_body(r);
  t->out_mode = out_mode;
  t->err_mode = err_mode;
  t->cwd = rd_str(r);
  t->stdin_path = rd_str(r);
  t->argv = grow(NULL, (argc + 1u) * sizeof(char *));
  for (uint16_t i = 0; i < argc; i++) t->argv[i] = rd_str(r);
  t->argv[argc] = NULL;
  char **changes = grow(NULL, (envc + 1u) * sizeof(char *));
  for (uint16_t i = 0; i < envc; i++) changes[i] = rd_str(r);
  char **keys = grow(NULL, (keyc + 1u) * sizeof(char *));
  for (uint16_t i = 0; i < keyc; i++) keys[i] = rd_str(r);
  if (r->bad) die("bad TEMPLATE strings");
  t->task_keys = keyc;

  /* Base environment: the launcher's own minus changed, removed and task keys, plus the settings. */
  size_t base = 0;
  while (environ[base]) base++;
  t->env = grow(NULL, (base + envc + 1) * sizeof(char *));
  t->keylen = grow(NULL, (base + envc + 1) * sizeof(size_t));
  size_t n = 0;
  for (size_t i = 0; i < base + envc; i++) {
    char *entry = i < base ? environ[i] : changes[i - base];
    if (i >= base && !strchr(entry, '=')) continue; /* a removal */
    size_t klen = key_length(entry);
    int dropped = 0;
    for (uint16_t k = 0; k < keyc && !dropped; k++) dropped = same_key(entry, klen, keys[k], strlen(keys[k]));
    if (i < base) {
      for (uint16_t c = 0; c < envc && !dropped; c++) dropped = same_key(entry, klen, changes[c], key_length(changes[c]));
    }
    if (dropped) continue;
    t->env[n] = entry;
    t->keylen[n] = klen;
    n++;
  }
  t->envc = n;
  free(changes);
  free(keys);
  t->path = find_on_path(t->argv[0]);
  t->defined = 1;
}

/* Lanes built for a freed template rebuild from the next one they run (see build_for). */
static void forget_template(reader *r) {
  uint32_t id = rd_u32(r);
  struct template *t = template_of(id);
  if (r->bad || !t) die("bad FORGET");
  free(t->blob);
  free(t->argv);
  free(t->path);
  free(t->env);
  free(t->keylen);
  memset(t, 0, sizeof *t);
  for (uint32_t lid = 1; lid < lane_cap; lid++) {
    if (lanes[lid].built_for == id) lanes[lid].built_for = 0;
  }
}

static void define_class(reader *r) {
  uint32_t id = rd_u32(r), low_water = rd_u32(r);
  uint8_t flags = rd_u8(r);
  if (r->bad || id == 0) die("bad CLASS");
  SLOT(classes, class_cap, id);
  classes[id].defined = 1;
  classes[id].low_water = low_water;
  classes[id].low_told = 0;
  classes[id].prompt_starts = flags & 1;
}

/* ---- the class queues: START bodies back to back, each after its u32 length ---- */

static void fifo_push(struct fifo *q, const unsigned char *body, uint32_t len) {
  if (q->tail + 4 + len > q->cap) {
    if (q->head > 0) {
      memmove(q->buf, q->buf + q->head, q->tail - q->head);
      q->tail -= q->head;
      q->head = 0;
    }
    if (q->tail + 4 + len > q->cap) {
      size_t cap = q->cap ? q->cap : 4096;
      while (cap < q->tail + 4 + len) cap *= 2;
      q->buf = grow(q->buf, cap);
      q->cap = cap;
    }
  }
  memcpy(q->buf + q->tail, &len, 4);
  memcpy(q->buf + q->tail + 4, body, len);
  q->tail += 4 + len;
  q->count++;
}

/* The next queued START body (dropped ones skipped), or NULL; valid until the next push. */
static unsigned char *fifo_pop(struct fifo *q, uint32_t *len) {
  while (q->head < q->tail) {
    unsigned char *at = q->buf + q->head;
    memcpy(len, at, 4);
    q->head += 4 + *len;
    uint32_t task;
    memcpy(&task, at + 4, 4);
    if (task != 0) {
      q->count--;
      return at + 4;
    }
  }
  q->head = q->tail = 0;
  return NULL;
}

/* ---- running tasks ---- */

struct run {
  pid_t pid;
  uint32_t task, lane;
  int fd[2]; /* read ends of piped stdout/stderr, -1 when none or drained */
  int reaped, status;
  int64_t started;
};

static struct run *runs;
static size_t run_count, run_cap;
static int devnull = -1;
static sigset_t child_mask;       /* signal mask tasks start with */
static sigset_t child_default;    /* signals ignored here that tasks get back as default */

/* What the child needs, prepared before vfork (the child must not allocate). */
struct plan {
  char **argv, **envp;
  const char *path, *cwd, *stdin_path, *out_path, *err_path;
  int out_fd, err_fd; /* pipe write ends, or -1 */
  uint8_t out_mode, err_mode;
  volatile int error;
};

static int open_onto(const char *path, int flags, int target) {
  int fd = open(path, flags, 0644);
  if (fd < 0) return -1;
  if (fd != target) {
    if (dup2(fd, target) < 0) return -1;
    close(fd);
  }
  return 0;
}

static int output_onto(uint8_t mode, const char *path, int pipe_fd, int target) {
  if (mode == MODE_FILE) return open_onto(path, O_WRONLY | O_CREAT | O_TRUNC, target);
  if (mode == MODE_PIPE) return dup2(pipe_fd, target) < 0 ? -1 : 0;
  return dup2(devnull, target) < 0 ? -1 : 0;
}

/* Runs in the vfork child, on the parent's memory: only system calls, then exec or _exit. */
static __attribute__((noinline, noreturn)) void child(struct plan *p) {
  if ((p->stdin_path[0] ? open_onto(p->stdin_path, O_RDONLY, 0) : dup2(devnull, 0)) < 0) goto fail;
  if (output_onto(p->out_mode, p->out_path, p->out_fd, 1) < 0) goto fail;
  if (p->err_mode == MODE_SAME) {
    if (dup2(1, 2) < 0) goto fail;
  } else if (output_onto(p->err_mode, p->err_path, p->err_fd, 2) < 0) {
    goto fail;
  }
  if (p->cwd[0] && chdir(p->cwd) < 0) goto fail;
  setpgid(0, 0); /* its own process group, so that a kill ends the whole tree */
  for (int sig = 1; sig < NSIG; sig++) {
    if (sigismember(&child_default, sig) == 1) signal(sig, SIG_DFL);
  }
  sigprocmask(SIG_SETMASK, &child_mask, NULL);
  if (p->path) {
    execve(p->path, p->argv, p->envp);
    if (errno != ENOEXEC) goto fail;
  }
  execvpe(p->argv[0], p->argv, p->envp);
fail:
  p->error = errno ? errno : EINVAL;
  _exit(127);
}

/* vfork and exec, alone in a frame of its own so that nothing of the caller's lives across vfork. */
static __attribute__((noinline)) pid_t spawn_child(struct plan *p) {
  pid_t pid = vfork();
  if (pid == 0) child(p);
  return pid;
}

/* Builds the lane's argv and environment for tasks of `t` (once per template change). */
static void build_for(struct lane *l, uint32_t tid, struct template *t) {
  size_t need = t->task_keys + l->envc + t->envc + 1;
  if (need > l->envp_cap) {
    l->envp_cap = need;
    l->envp = grow(l->envp, need * sizeof(char *));
  }
  size_t n = t->task_keys;
  for (uint32_t i = 0; i < l->envc; i++) l->envp[n++] = l->env[i];
  for (size_t i = 0; i < t->envc; i++) {
    int shadowed = 0;
    for (uint32_t j = 0; j < l->envc && !shadowed; j++) shadowed = same_key(t->env[i], t->keylen[i], l->env[j], l->keylen[j]);
    if (!shadowed) l->envp[n++] = t->env[i];
  }
  l->envp[n] = NULL;
  if (l->prefixc > 0) {
    size_t argc = 0;
    while (t->argv[argc]) argc++;
    if (l->prefixc + argc + 1 > l->argv_cap) {
      l->argv_cap = l->prefixc + argc + 1;
      l->argv = grow(l->argv, l->argv_cap * sizeof(char *));
    }
    memcpy(l->argv, l->prefix, l->prefixc * sizeof(char *));
    memcpy(l->argv + l->prefixc, t->argv, (argc + 1) * sizeof(char *));
  }
  l->built_for = tid;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static int make_pipe(int ends[2]) {
  if (pipe2(ends, O_CLOEXEC) < 0) return -1;
  fcntl(ends[0], F_SETFL, O_NONBLOCK);
  return 0;
}

/* Starts the task of a START body on lane `lid`; 0 when it could not start (ENDED already replied). */
static int start_on(uint32_t lid, unsigned char *body, uint32_t len) {
  struct lane *l = &lanes[lid];
  reader r = {body, body + len, 0};
  uint32_t task = rd_u32(&r), tid = rd_u32(&r);
  rd_u32(&r); /* class */
  uint8_t flags = rd_u8(&r);
  uint16_t envc = rd_u16(&r);
  struct template *t = template_of(tid);
  if (!t) {
    /* Forgotten while the task waited: its job ended, so the task was canceled. */
    reply_ended(task, END_ERROR, ENOENT, 0);
    return 0;
  }
  struct plan p = {0};
  p.cwd = flags & START_CWD ? rd_str(&r) : t->cwd;
  p.out_path = flags & START_STDOUT ? rd_str(&r) : "";
  p.err_path = flags & START_STDERR ? rd_str(&r) : "";
  if (l->built_for != tid) build_for(l, tid, t);
  char **envp = l->envp + t->task_keys - envc; /* task entries go right before the lane's */
  for (uint16_t i = 0; i < envc; i++) envp[i] = rd_str(&r);
  p.envp = envp;
  p.argv = l->prefixc ? l->argv : t->argv;
  p.path = l->prefixc ? l->prefix_path : t->path;
  p.stdin_path = t->stdin_path;
  p.out_mode = t->out_mode;
  p.err_mode = t->err_mode;
  p.out_fd = p.err_fd = -1;
  int pipes[2][2] = {{-1, -1}, {-1, -1}};
  int err = 0;
  if (p.out_mode == MODE_PIPE && make_pipe(pipes[0]) < 0) err = errno;
  if (!err && p.err_mode == MODE_PIPE && make_pipe(pipes[1]) < 0) err = errno;
  p.out_fd = pipes[0][1];
  p.err_fd = pipes[1][1];
  pid_t pid = -1;
  int64_t started = now_ns();
  if (!err) {
    pid = spawn_child(&p);
    if (pid < 0) err = errno;
    else if (p.error) {
      err = p.error;
      waitpid(pid, NULL, 0);
    }
  }
  close_fd(&pipes[0][1]);
  close_fd(&pipes[1][1]);
  if (err) {
    close_fd(&pipes[0][0]);
    close_fd(&pipes[1][0]);
    reply_ended(task, END_ERROR, err, 0);
    return 0;
  }
  if (run_count == run_cap) {
    run_cap = run_cap ? run_cap * 2 : 16;
    runs = grow(runs, run_cap * sizeof *runs);
  }
  runs[run_count++] = (struct run){pid, task, lid, {pipes[0][0], pipes[1][0]}, 0, 0, started};
  l->busy = 1;
  l->ran = 1;
  reply_started(task, pid);
  if (classes[l->cls].prompt_starts) urgent = 1;
  return 1;
}

/* Closes a lane that has no task (callers keep the class's idle count). */
static void close_lane(uint32_t lid) {
  struct lane *l = &lanes[lid];
  free(l->blob);
  free(l->prefix);
  free(l->prefix_path);
  free(l->env);
  free(l->keylen);
  free(l->envp);
  free(l->argv);
  memset(l, 0, sizeof *l);
  reply_closed(lid);
}

/* A lane without a task: it takes the next queued task of its class, or waits idle. */
static void lane_freed(uint32_t lid) {
  struct lane *l = &lanes[lid];
  l->busy = 0;
  if (l->once && l->ran) {
    close_lane(lid);
    return;
  }
  struct klass *k = class_of(l->cls);
  uint32_t len;
  unsigned char *body;
  while ((body = fifo_pop(&k->queue, &len)) != NULL) {
    /* Once per crossing: the worker refills the queue when it hears. */
    if (k->queue.count <= k->low_water && !k->low_told) urgent = k->low_told = 1;
    if (start_on(lid, body, len)) return;
  }
  k->idle++;
  urgent = 1;
}

static void open_lane(reader *r) {
  uint32_t id = rd_u32(r), cls = rd_u32(r);
  uint8_t flags = rd_u8(r);
  uint16_t prefixc = rd_u16(r), envc = rd_u16(r);
  struct klass *k = class_of(cls);
  if (r->bad || id == 0 || !k) die("bad LANE");
  SLOT(lanes, lane_cap, id);
  struct lane *l = &lanes[id];
  if (l->open) die("LANE opened twice");
  l->blob = copy_body(r);
  l->prefix = grow(NULL, (prefixc + 1u) * sizeof(char *));
  for (uint16_t i = 0; i < prefixc; i++) l->prefix[i] = rd_str(r);
  l->prefixc = prefixc;
  l->env = grow(NULL, (envc + 1u) * sizeof(char *));
  l->keylen = grow(NULL, (envc + 1u) * sizeof(size_t));
  for (uint16_t i = 0; i < envc; i++) {
    l->env[i] = rd_str(r);
    l->keylen[i] = key_length(l->env[i]);
  }
  if (r->bad) die("bad LANE strings");
  l->envc = envc;
  l->prefix_path = prefixc ? find_on_path(l->prefix[0]) : NULL;
  l->cls = cls;
  l->once = flags & 1;
  l->open = 1;
  l->built_for = 0;
  lane_freed(id);
}

static void close_idle(reader *r) {
  uint32_t cls = rd_u32(r), count = rd_u32(r);
  if (r->bad) die("bad CLOSE_IDLE");
  for (uint32_t lid = 1; lid < lane_cap && count > 0; lid++) {
    struct lane *l = &lanes[lid];
    if (l->open && !l->busy && l->cls == cls) {
      classes[cls].idle--;
      close_lane(lid);
      count--;
    }
  }
}

/* Checks a START body: known template and class, strings inside the frame. */
static int valid_start(unsigned char *body, uint32_t len) {
  reader r = {body, body + len, 0};
  uint32_t task = rd_u32(&r), tid = rd_u32(&r), cls = rd_u32(&r);
  uint8_t flags = rd_u8(&r);
  uint16_t envc = rd_u16(&r);
  struct template *t = template_of(tid);
  if (r.bad || task == 0 || !t || !class_of(cls) || envc > t->task_keys) return 0;
  if (flags & START_CWD) rd_str(&r);
  if (flags & START_STDOUT) rd_str(&r);
  if (flags & START_STDERR) rd_str(&r);
  if (t->out_mode == MODE_FILE && !(flags & START_STDOUT)) return 0;
  if (t->err_mode == MODE_FILE && !(flags & START_STDERR)) return 0;
  for (uint16_t i = 0; i < envc; i++) rd_str(&r);
  return !r.bad;
}

static void push_start(unsigned char *body, uint32_t len) {
  if (!valid_start(body, len)) die("bad START");
  uint32_t cls;
  memcpy(&cls, body + 8, 4);
  struct klass *k = class_of(cls);
  if (k->idle > 0) {
    for (uint32_t lid = 1; lid < lane_cap; lid++) {
      struct lane *l = &lanes[lid];
      if (l->open && !l->busy && l->cls == cls) {
        k->idle--;
        if (!start_on(lid, body, len)) lane_freed(lid);
        return;
      }
    }
  }
  fifo_push(&k->queue, body, len);
  if (k->queue.count > k->low_water) k->low_told = 0;
}

static void drop(reader *r) {
  uint32_t task = rd_u32(r);
  if (r->bad || task == 0) die("bad DROP");
  for (uint32_t c = 1; c < class_cap; c++) {
    struct fifo *q = &classes[c].queue;
    for (size_t at = q->head; at < q->tail;) {
      uint32_t len, queued;
      memcpy(&len, q->buf + at, 4);
      memcpy(&queued, q->buf + at + 4, 4);
      if (queued == task) {
        memset(q->buf + at + 4, 0, 4);
        q->count--;
        reply_ended(task, END_DROPPED, 0, 0);
        return;
      }
      at += 4 + len;
    }
  }
}

/* ---- the loop ---- */

static unsigned char *inbuf;
static size_t in_len, in_cap;
static int signal_fd;
static pid_t parent;

static void handle_request(unsigned char *msg, uint32_t len) {
  reader r = {msg + 1, msg + len, 0};
  switch (msg[0]) {
    case REQ_TEMPLATE: define_template(&r); break;
    case REQ_CLASS: define_class(&r); break;
    case REQ_LANE: open_lane(&r); break;
    case REQ_CLOSE_IDLE: close_idle(&r); break;
    case REQ_START: push_start(msg + 1, len - 1); break;
    case REQ_DROP: drop(&r); break;
    case REQ_FORGET: forget_template(&r); break;
    default: die("unknown request");
  }
}

/* Reads and handles whatever complete requests arrived; 0 at end of input. */
static int read_requests(void) {
  if (in_cap - in_len < 65536) {
    in_cap = in_cap ? in_cap * 2 : 1 << 20;
    inbuf = grow(inbuf, in_cap);
  }
  ssize_t n = read(0, inbuf + in_len, in_cap - in_len);
  if (n == 0) return 0;
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  in_len += (size_t)n;
  size_t off = 0;
  while (in_len - off >= 4) {
    uint32_t len;
    memcpy(&len, inbuf + off, 4);
    if (len == 0) die("empty request");
    if (in_len - off - 4 < len) break;
    handle_request(inbuf + off + 4, len);
    off += 4 + len;
  }
  memmove(inbuf, inbuf + off, in_len - off);
  in_len -= off;
  return 1;
}

static void finish_run(size_t i) {
  struct run *run = &runs[i];
  int64_t elapsed = (now_ns() - run->started) / 1000;
  uint32_t micros = elapsed > UINT32_MAX ? UINT32_MAX : (uint32_t)elapsed; /* saturates after 71 minutes */
  int status = run->status;
  if (WIFSIGNALED(status)) reply_ended(run->task, END_SIGNALED, WTERMSIG(status), micros);
  else reply_ended(run->task, END_EXITED, WEXITSTATUS(status), micros);
  uint32_t lid = run->lane;
  runs[i] = runs[--run_count];
  lane_freed(lid);
}

static int run_done(const struct run *run) {
  return run->reaped && run->fd[0] < 0 && run->fd[1] < 0;
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (size_t i = 0; i < run_count; i++) {
      if (runs[i].pid != pid) continue;
      runs[i].reaped = 1;
      runs[i].status = status;
      if (run_done(&runs[i])) finish_run(i);
      break;
    }
  }
}

/* Relays one chunk of a task's piped output; at its end the pipe is closed. */
static void relay(size_t i, int channel) {
  static unsigned char chunk[PIPE_CHUNK];
  struct run *run = &runs[i];
  ssize_t n = read(run->fd[channel], chunk, sizeof chunk);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    close_fd(&run->fd[channel]);
    if (run_done(run)) finish_run(i);
    return;
  }
  unsigned char *b = reply(REP_OUTPUT, 5 + (size_t)n);
  memcpy(b, &run->task, 4);
  b[4] = (uint8_t)channel;
  memcpy(b + 5, chunk, (size_t)n);
}

/*
 * The worker is gone or done: every task gets SIGTERM (its whole process
 * group), and SIGKILL after KILL_GRACE_NS if anything of the group is left.
 */
#define KILL_GRACE_NS 2000000000LL

static void kill_all(void) {
  size_t groups = run_count;
  pid_t *pgids = grow(NULL, (groups + 1) * sizeof(pid_t));
  for (size_t i = 0; i < groups; i++) {
    pgids[i] = runs[i].pid;
    kill(-runs[i].pid, SIGTERM);
    kill(runs[i].pid, SIGTERM); /* in case it never got its own group */
    close_fd(&runs[i].fd[0]);
    close_fd(&runs[i].fd[1]);
  }
  int64_t deadline = now_ns() + KILL_GRACE_NS;
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    size_t left = 0;
    for (size_t i = 0; i < groups; i++) {
      if (kill(-pgids[i], 0) == 0) left++;
    }
    int64_t wait = deadline - now_ns();
    if (left == 0 || wait <= 0) break;
    struct pollfd f = {.fd = signal_fd, .events = POLLIN};
    struct timespec t = {0, wait < 20000000LL ? wait : 20000000LL};
    ppoll(&f, 1, &t, NULL);
    struct signalfd_siginfo info;
    while (read(signal_fd, &info, sizeof info) > 0) {
    }
  }
  for (size_t i = 0; i < groups; i++) {
    if (kill(-pgids[i], 0) == 0) kill(-pgids[i], SIGKILL);
  }
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  exit(0);
}

/* Returns 0 when the launcher should end (the worker is gone). */
static int handle_signals(void) {
  struct signalfd_siginfo info[8];
  int go_on = 1;
  for (;;) {
    ssize_t n = read(signal_fd, info, sizeof info);
    if (n <= 0) break;
    for (size_t i = 0; i < (size_t)n / sizeof info[0]; i++) {
      /* SIGHUP comes as PR_SET_PDEATHSIG; SIGINT and SIGTERM are the worker's to act on. */
      if (info[i].ssi_signo == SIGHUP && getppid() != parent) go_on = 0;
    }
    if ((size_t)n < sizeof info) break; /* drained: no need to read again */
  }
  reap();
  return go_on;
}

static struct pollfd *fds;
static size_t fds_cap;

int main(void) {
  parent = getppid();
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGHUP);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGTERM);
  sigprocmask(SIG_BLOCK, NULL, &child_mask);
  sigprocmask(SIG_BLOCK, &handled, NULL);
  signal(SIGPIPE, SIG_IGN);
  /* Tasks get back every signal ignored here (at least SIGPIPE). */
  sigemptyset(&child_default);
  for (int sig = 1; sig < NSIG; sig++) {
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) sigaddset(&child_default, sig);
  }
  signal_fd = signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (signal_fd < 0 || devnull < 0) die("cannot set up");
  prctl(PR_SET_PDEATHSIG, SIGHUP);
  if (getppid() != parent) kill_all();
  out_cap = 256 * 1024;
  outbuf = grow(NULL, out_cap);

  for (;;) {
    size_t nfds = 2 + 2 * run_count;
    if (nfds > fds_cap) {
      fds_cap = nfds * 2;
      fds = grow(fds, fds_cap * sizeof *fds);
    }
    fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = signal_fd, .events = POLLIN};
    for (size_t i = 0; i < run_count; i++) {
      fds[2 + 2 * i] = (struct pollfd){.fd = runs[i].fd[0], .events = POLLIN};
      fds[3 + 2 * i] = (struct pollfd){.fd = runs[i].fd[1], .events = POLLIN};
    }
    struct timespec wait, *timeout = NULL;
    if (out_len > 0) {
      int64_t left = out_since + FLUSH_NS - now_ns();
      if (left < 0) left = 0;
      wait = (struct timespec){left / 1000000000LL, left % 1000000000LL};
      timeout = &wait;
    }
    size_t polled = run_count;
    if (ppoll(fds, nfds, timeout, NULL) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if ((fds[1].revents & POLLIN) && !handle_signals()) break;
    /* Output first (a run may end and move, so match by fd), then new requests. */
    for (size_t k = 0; k < polled; k++) {
      for (int channel = 0; channel < 2; channel++) {
        struct pollfd *f = &fds[2 + 2 * k + channel];
        if (f->fd < 0 || !(f->revents & (POLLIN | POLLHUP | POLLERR))) continue;
        for (size_t i = 0; i < run_count; i++) {
          if (runs[i].fd[channel] == f->fd) {
            relay(i, channel);
            break;
          }
        }
      }
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !read_requests()) break;
    if (out_len > 0 && (urgent || out_len >= OUT_HIGH || now_ns() - out_since >= FLUSH_NS)) flush_out();
  }
  /* The worker is gone: end every task it left behind. */
  kill_all();
  return 0;
}
