"""The sampling engine's bounds: memory estimated and refused past a limit, pools that stop."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from detente.uncertainty.engine import Chunk, execute, plan_chunks


def _chunk_that_fails_once(folder: str, chunk: Chunk) -> dict[str, np.ndarray]:
    (Path(folder) / f"{chunk.start}").touch()
    if chunk.start == 1:
        raise RuntimeError("chunk 1 failed")
    time.sleep(0.05)  # a chunk takes a while, so the queue is long when chunk 1 fails
    return {"x": np.zeros(chunk.size)}


def test_a_failed_chunk_cancels_the_queued_chunks(tmp_path: Path) -> None:
    import functools

    chunks = plan_chunks(200, 1)
    task = functools.partial(_chunk_that_fails_once, str(tmp_path))
    with pytest.raises(RuntimeError, match="chunk 1 failed"):
        execute(task, chunks, workers=2)
    # Before, leaving the pool ran all 199 queued chunks before the error surfaced (and an
    # interrupt waited for them); now only those already handed to a worker run.
    assert len(list(tmp_path.iterdir())) < 50
