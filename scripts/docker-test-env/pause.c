/*
 * Pause program for the test pause image (the role of Kubernetes' pause container): it holds the
 * pod's namespaces, sleeps until SIGINT or SIGTERM and then exits 0, and reaps any orphaned
 * children re-parented to it (PID 1) so none stay zombies. Built statically by
 * scripts/docker-test-env.ts.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  int saved = errno; /* a handler must not change errno for the interrupted code */
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved;
}

static int handle(int sig, void (*fn)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(void) {
  /* As PID 1 a signal without a handler is ignored, so SIGTERM/SIGINT need explicit handlers. */
  if (handle(SIGINT, on_stop, 0) != 0 || handle(SIGTERM, on_stop, 0) != 0 ||
      handle(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART) != 0) {
    static const char msg[] = "pause: sigaction failed\n";
    (void)!write(2, msg, sizeof msg - 1);
    return 1;
  }
  for (;;) pause();
}
