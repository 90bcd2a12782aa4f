// peak-rss FILE COMMAND [ARGS...]: runs COMMAND, then appends its peak
// resident set size in bytes as one line to FILE and exits as COMMAND did.
// The benchmarks use it to learn the memory of a client command whatever the
// program is (a script through Node or a native executable).
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: peak-rss FILE COMMAND [ARGS...]\n");
    return 2;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("peak-rss: fork");
    return 127;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    fprintf(stderr, "peak-rss: cannot run %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  int status;
  struct rusage usage;
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      perror("peak-rss: wait4");
      return 127;
    }
  }
  FILE *out = fopen(argv[1], "a");
  if (out == NULL || fprintf(out, "%ld\n", usage.ru_maxrss * 1024L) < 0 || fclose(out) != 0) {
    fprintf(stderr, "peak-rss: cannot write %s\n", argv[1]);
    return 127;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
