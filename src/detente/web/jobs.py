"""Long computations off the request thread: one worker process per job, with a time limit.

A job runs in its own process (``python -m detente.web.worker``) so that a time limit and
a cancel button really stop it (a Python thread cannot be stopped from outside). The
request goes in and the result comes out as JSON lines, never as pickles. One spare worker
is kept started, its imports done, so that a job starts without waiting for numpy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from detente import RAISE_TIME_LIMIT

log = logging.getLogger("detente.web")

JobStatus = Literal["queued", "running", "done", "failed", "cancelled", "timeout"]


@dataclass
class Job:
    """One computation and what is known of it so far."""

    id: str
    analysis: str
    status: JobStatus = "queued"
    progress: float | None = None
    message: str = ""
    result: dict[str, Any] | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    #: Set once the job has finished, whichever way (:meth:`JobManager._finish`).
    done_event: threading.Event = field(default_factory=threading.Event)
    process: subprocess.Popen[bytes] | None = None
    #: Why the worker was killed (cancelled, timeout); None while nobody stopped it.
    stopped: JobStatus | None = None

    @property
    def elapsed_s(self) -> float:
        end = self.finished if self.finished is not None else time.monotonic()
        return round(end - self.started, 3)


#: The worker's command line after ``python``.
WORKER = ("-m", "detente.web.worker")


def _start_worker(worker: Sequence[str]) -> subprocess.Popen[bytes]:
    """A worker process (``python`` and ``worker``) that finds this very copy of detente."""
    import detente

    package_root = str(Path(detente.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    # Its own process group, so that _kill stops the processes it starts too.
    return subprocess.Popen([sys.executable, *worker],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, start_new_session=True)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a worker and every process it started: a sampling pool's forked children hold
    its output open, so killing the worker alone would leave its job waiting on them (and
    them computing). Only while the worker is unreaped, so its group id is still its own."""
    with contextlib.suppress(OSError):
        if process.returncode is None and hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()


class JobManager:
    """Start, watch, cancel and forget jobs; at most ``max_running`` at once."""

    def __init__(self, time_limit_s: float, max_running: int = 2, keep: int = 50,
                 worker: Sequence[str] = WORKER) -> None:
        self.time_limit_s = time_limit_s
        self.worker = tuple(worker)
        self.max_running = max_running
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._spare: subprocess.Popen[bytes] | None = None
        self._closed = False

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def submit(self, analysis: str, request: dict[str, Any]) -> Job | None:
        """Start a job, or return None when ``max_running`` jobs are already running."""
        line = json.dumps({"analysis": analysis, "request": request}) + "\n"
        with self._lock:
            busy = sum(not job.done_event.is_set() for job in self._jobs.values())
            if busy >= self.max_running:
                return None
            job = Job(id=uuid.uuid4().hex, analysis=analysis)
            self._jobs[job.id] = job
            self._forget_old()
        threading.Thread(target=self._watch, args=(job, line), daemon=True,
                         name=f"detente-job-{job.id[:8]}").start()
        return job

    def cancel(self, job_id: str) -> Job | None:
        job = self.get(job_id)
        if job is not None and not job.done_event.is_set():
            self._stop(job, "cancelled")
        return job

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        job.done_event.wait(timeout if timeout is not None else self.time_limit_s + 10)
        return job

    def shutdown(self) -> None:
        self._closed = True
        with self._lock:
            jobs = list(self._jobs.values())
            spare, self._spare = self._spare, None
        for job in jobs:
            self.cancel(job.id)
        if spare is not None:
            _kill(spare)
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                spare.wait(2)

    def warm(self) -> None:
        """Start the spare worker now, so that the first job does not wait for imports."""
        with self._lock:
            if self._spare is None and not self._closed:
                self._spare = _start_worker(self.worker)

    def _worker(self) -> subprocess.Popen[bytes]:
        """The spare worker if it is alive (then start the next spare), else a new one."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None or spare.poll() is not None:
            spare = _start_worker(self.worker)
        self.warm()  # the next job's
        return spare

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.done_event.is_set()]
        for key in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[key]

    def _finish(self, job: Job, status: JobStatus, message: str) -> None:
        job.status = status
        job.message = message
        job.finished = time.monotonic()
        job.done_event.set()

    def _stop(self, job: Job, why: JobStatus) -> None:
        """Kill the job's worker (Cancel, the time limit): its output ends, and ``_watch``
        finishes the job as ``why``."""
        job.stopped = job.stopped or why
        if job.process is not None:
            _kill(job.process)

    def _watch(self, job: Job, line: str) -> None:
        try:
            process = job.process = self._worker()
        except OSError as err:
            self._finish(job, "failed", f"could not start the computation: {err}")
            return
        job.status = "running"
        if job.stopped:  # cancelled before the process was known: kill it now
            self._stop(job, job.stopped)
        limit = threading.Timer(job.started + self.time_limit_s - time.monotonic(),
                                self._stop, (job, "timeout"))
        limit.daemon = True  # never keeps a stopping server alive
        limit.start()  # before the request is sent: a worker that never reads it is stopped
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None  # both piped (_start_worker)
        try:  # one cleanup (finally), however the worker ends
            # A worker killed (or dead) before it took the request: its output ends at once,
            # and the job ends below as stopped, or as failed with its exit code.
            with contextlib.suppress(OSError):
                stdin.write(line.encode("utf-8"))
                stdin.close()
            for raw in stdout:
                try:
                    message = json.loads(raw)
                    kind = message["kind"]
                except (ValueError, TypeError, KeyError):  # not a message: a stray print
                    continue
                if kind == "progress":
                    job.progress = message["progress"]
                    job.message = message["message"]
                    continue
                if kind == "done":
                    job.result = message["result"]
                    job.progress = 1.0
                    self._finish(job, "done", "done")
                    return
                if message.get("internal"):  # for the operator, never for the page
                    log.error("job %s (%s) failed:\n%s", job.id, job.analysis,
                              message["internal"])
                job.problems = message["problems"]
                self._finish(job, "failed", message["message"])
                return
        except Exception:  # a message it could not read: the job still ends, below
            log.exception("job %s (%s): its worker's output broke off", job.id, job.analysis)
        finally:
            limit.cancel()
            # Killed before it is waited for: a worker that closed its output may run on. One
            # that died has exited already, so its exit code stays its own.
            _kill(process)
            with contextlib.suppress(Exception):
                process.wait(2)
            with contextlib.suppress(OSError):  # a request it never took left unflushed
                stdin.close()
            stdout.close()
        if job.stopped == "timeout":
            self._finish(job, "timeout", f"stopped after the time limit of "
                         f"{self.time_limit_s:g} s; try fewer samples or a smaller "
                         f"scenario, or {RAISE_TIME_LIMIT}")
        elif job.stopped:
            self._finish(job, job.stopped, job.stopped)
        else:
            self._finish(job, "failed", "the computation stopped unexpectedly "
                         f"(exit code {process.returncode})")
