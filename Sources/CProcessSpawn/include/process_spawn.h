#ifndef LUMIS_PROCESS_SPAWN_H
#define LUMIS_PROCESS_SPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` as a child that cannot outlive this process: in the child, before exec,
/// it becomes the leader of a new process group, asks the kernel for SIGKILL when its parent dies
/// (PR_SET_PDEATHSIG, which posix_spawn cannot set), restores default signal dispositions and an empty mask,
/// and takes /dev/null as stdin, `stdout_fd` as stdout and `stderr_fd` as stderr (-1 keeps ours).
///
/// Returns 0 and stores the child's pid in `pid`, or an errno value. Only async-signal-safe calls run in the
/// child, so it is safe to call from a multi-threaded process.
int lumis_spawn_tied(const char *path, char *const argv[], char *const envp[], int stdout_fd, int stderr_fd,
                     pid_t *pid);

#endif
