"""Run a command that is stopped when the process that started it dies:

    python -m tests.orphan_guard COMMAND [ARGS...]

Test and benchmark helpers (workers, beat, Redis, SMTP servers) would otherwise outlive an
interrupted run. Linux's PR_SET_PDEATHSIG survives exec; a preexec_fn would do the same
but is unsafe in a parent that runs threads.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1

if __name__ == "__main__":
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the signal was armed
        sys.exit(1)
    os.execvp(sys.argv[1], sys.argv[1:])
