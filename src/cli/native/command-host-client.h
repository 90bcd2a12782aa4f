// hq-exec's client of the server's command host (src/command-host/).
#ifndef HQ_COMMAND_HOST_CLIENT_H
#define HQ_COMMAND_HOST_CLIENT_H

// Runs the command line in the command host of the server that `argv` and
// the environment name, when that server runs on this node and takes it.
// Returns 1 when the command ran there (its exit code in *exit_code), 0 when
// the caller has to run it itself: nothing was done then.
int run_in_command_host(int argc, char **argv, int *exit_code);

#endif
