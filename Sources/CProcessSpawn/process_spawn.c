#define _GNU_SOURCE
#include "process_spawn.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int lumis_spawn_tied(const char *path, char *const argv[], char *const envp[], int stdout_fd, int stderr_fd,
                     pid_t *pid) {
    // vfork, as posix_spawn does: no copy of a large, busy parent's page tables (fork stalled every other thread
    // of a big test process), and the parent waits until the child has exec'd or failed. All signals stay
    // blocked meanwhile, so no handler of ours runs in the child, which shares our memory until exec.
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    const pid_t parent = getpid();
    volatile int exec_error = 0;
    const pid_t child = vfork();
    if (child == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        // The parent may have died before the line above: then nothing would ever send the signal.
        if (getppid() != parent) _exit(127);
        for (int signal = 1; signal < NSIG; ++signal) {
            if (signal == SIGKILL || signal == SIGSTOP) continue;
            struct sigaction current;
            if (sigaction(signal, NULL, &current) == 0 && current.sa_handler != SIG_DFL &&
                current.sa_handler != SIG_IGN) {
                struct sigaction reset = {0};
                reset.sa_handler = SIG_DFL;
                sigaction(signal, &reset, NULL);
            }
        }
        // Ignored signals stay ignored across exec; the simulator must be stoppable and see SIGPIPE normally.
        const int defaults[] = {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT};
        for (unsigned i = 0; i < sizeof defaults / sizeof defaults[0]; ++i) {
            struct sigaction reset = {0};
            reset.sa_handler = SIG_DFL;
            sigaction(defaults[i], &reset, NULL);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0 && null != STDIN_FILENO) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
        if (stdout_fd >= 0) dup2(stdout_fd, STDOUT_FILENO);
        if (stderr_fd >= 0) dup2(stderr_fd, STDERR_FILENO);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        exec_error = errno;
        _exit(127);
    }
    const int spawn_error = child < 0 ? errno : 0;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (spawn_error != 0) return spawn_error;
    if (exec_error != 0) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
        }
        return exec_error;
    }
    *pid = child;
    return 0;
}
