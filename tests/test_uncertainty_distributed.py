"""The distributed path: the same chunks on a local Dask cluster give bit-identical numbers."""

from __future__ import annotations

import numpy as np
import pytest

from detente.scenario import load
from detente.uncertainty import BLOCK, sample

distributed = pytest.importorskip("distributed", reason="needs the extra detente[distributed]")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.parametrize("model", ["compromise", "nash"])
def test_local_dask_cluster_is_bit_identical_to_one_process(client, model: str) -> None:
    korea = load("korea-2017")
    n = 2 * BLOCK + 11
    alone = sample(korea, model, samples=n, rng=21, workers=1)
    spread = sample(korea, model, samples=n, rng=21, chunk_size=90,
                    executor=client.get_executor())
    assert spread.stats.chunks == 6
    assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(spread.forecasts, alone.forecasts)
    for key, value in alone.outputs.items():
        np.testing.assert_array_equal(spread.outputs[key], value)
    assert spread.to_dict()["seed"] == 21
