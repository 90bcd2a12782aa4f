/*
 * The cheapest possible "task": calls an empty function N times through a
 * function pointer the compiler cannot see through. Lower bound for the
 * per-task cost of any scheduler.
 *
 *   zero-loop [-n N]     (default: 100000000)
 *
 * Prints {"tasks": N, "parallel": 1, "seconds": S, "us_per_task": U}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((noinline)) static void empty_task(void) {
    /* Keeps the call from being removed as dead code. */
    __asm__ __volatile__("" ::: "memory");
}

static void (*volatile run_task)(void) = empty_task;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long tasks = 100000000;
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "-n") != 0 || i + 1 >= argc) {
            fprintf(stderr, "zero-loop: usage: zero-loop [-n N]\n");
            return 2;
        }
        char *end = NULL;
        errno = 0;
        tasks = strtol(argv[i + 1], &end, 10);
        if (errno != 0 || end == argv[i + 1] || *end != '\0' || tasks < 1) {
            fprintf(stderr, "zero-loop: invalid -n '%s': expected a positive integer\n", argv[i + 1]);
            return 2;
        }
    }
    double start = now_seconds();
    for (long i = 0; i < tasks; i++) run_task();
    double seconds = now_seconds() - start;
    printf("{ \"tasks\": %ld, \"parallel\": 1, \"seconds\": %.6f, \"us_per_task\": %.6f }\n",
           tasks, seconds, seconds * 1e6 / (double)tasks);
    return 0;
}
