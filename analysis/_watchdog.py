"""Processes started for a pipeline run end when the pipeline process ends.

The pipeline puts its process id in ``SBW_PIPELINE_PID`` for the notebook
kernels it starts; those kernels and their joblib (loky) workers inherit it.
When such a process imports :mod:`analysis`, a daemon thread checks twice a
second that the pipeline process still exists and, once it is gone (killed
with SIGKILL, or ended while a stage ran), ends this process at once, so no
kernel or worker outlives the run that started it.
"""

from __future__ import annotations

import os
import threading
import time

ENV = "SBW_PIPELINE_PID"
POLL_SECONDS = 0.5
_started = False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _watch(pid: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if not _alive(pid):
            os._exit(143)


def start_from_environment() -> bool:
    """Start the watcher when this process runs for a pipeline (and is not the pipeline itself)."""
    global _started
    value = os.environ.get(ENV, "")
    if _started or not value.isdigit() or os.name != "posix":
        return False
    pid = int(value)
    if pid == os.getpid():
        return False
    threading.Thread(target=_watch, args=(pid,), name="sbw-pipeline-watchdog", daemon=True).start()
    _started = True
    return True
