/*
 * Baseline for running many short processes: starts N copies of a program
 * with posix_spawn, keeping at most P of them running, and reaps them with
 * waitpid. Children get /dev/null as stdout and stderr, like tasks submitted
 * with --stdout none --stderr none; with -o DIR, each child writes to fresh
 * files DIR/<i>.stdout and DIR/<i>.stderr instead, like tasks with hq's
 * default per-task output files.
 *
 *   spawn-loop [-n N] [-P P] [-o DIR] [program [args...]]     (default: 10000, 2, /bin/true)
 *
 * Prints {"tasks": N, "parallel": P, "seconds": S, "us_per_task": U}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long parse_count(const char *flag, const char *text) {
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 1) {
        fprintf(stderr, "spawn-loop: invalid %s '%s': expected a positive integer\n", flag, text);
        exit(2);
    }
    return value;
}

/* Waits for one child; exits on a failed child, since the figure would be meaningless. */
static void reap_one(void) {
    int status;
    pid_t pid;
    do {
        pid = waitpid(-1, &status, 0);
    } while (pid < 0 && errno == EINTR);
    if (pid < 0) {
        perror("spawn-loop: waitpid");
        exit(1);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "spawn-loop: child %d did not exit with 0\n", (int)pid);
        exit(1);
    }
}

int main(int argc, char **argv) {
    long tasks = 10000;
    long parallel = 2;
    const char *output_dir = NULL;
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "spawn-loop: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "-n") == 0) {
            tasks = parse_count("-n", argv[i + 1]);
        } else if (strcmp(argv[i], "-P") == 0) {
            parallel = parse_count("-P", argv[i + 1]);
        } else if (strcmp(argv[i], "-o") == 0) {
            output_dir = argv[i + 1];
        } else {
            fprintf(stderr, "spawn-loop: unknown option '%s'\n", argv[i]);
            return 2;
        }
        i += 2;
    }
    char *default_argv[] = {"/bin/true", NULL};
    char **child_argv = i < argc ? &argv[i] : default_argv;

    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0) {
        perror("spawn-loop: /dev/null");
        return 1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, devnull, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, devnull, STDERR_FILENO);

    double start = now_seconds();
    long running = 0;
    for (long started = 0; started < tasks; started++) {
        if (running == parallel) {
            reap_one();
            running--;
        }
        pid_t pid;
        posix_spawn_file_actions_t files;
        if (output_dir) {
            /* Per task: the files are created by the child, as hq's launcher does. */
            char out[4096], err_path[4096];
            snprintf(out, sizeof out, "%s/%ld.stdout", output_dir, started);
            snprintf(err_path, sizeof err_path, "%s/%ld.stderr", output_dir, started);
            posix_spawn_file_actions_init(&files);
            posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            posix_spawn_file_actions_addopen(&files, STDERR_FILENO, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        }
        int err = posix_spawn(&pid, child_argv[0], output_dir ? &files : &actions, NULL, child_argv, environ);
        if (output_dir) posix_spawn_file_actions_destroy(&files);
        if (err != 0) {
            fprintf(stderr, "spawn-loop: cannot start %s: %s\n", child_argv[0], strerror(err));
            return 1;
        }
        running++;
    }
    while (running > 0) {
        reap_one();
        running--;
    }
    double seconds = now_seconds() - start;

    posix_spawn_file_actions_destroy(&actions);
    close(devnull);
    printf("{ \"tasks\": %ld, \"parallel\": %ld, \"seconds\": %.6f, \"us_per_task\": %.3f }\n",
           tasks, parallel, seconds, seconds * 1e6 / (double)tasks);
    return 0;
}
