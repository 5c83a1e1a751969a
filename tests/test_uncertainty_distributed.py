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
                                       dashboard_address=":0", silence_logs=50)
    with distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)
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
    assert len(client.nthreads()) == 2
    np.testing.assert_array_equal(spread.forecasts, alone.forecasts)
    for key, value in alone.outputs.items():
        np.testing.assert_array_equal(spread.outputs[key], value)
    assert spread.to_dict()["seed"] == 21


def test_cli_runs_on_a_dask_scheduler(client) -> None:
    import json

    from typer.testing import CliRunner

    from detente.cli import app

    address = client.scheduler.address
    result = CliRunner().invoke(app, ["sample", "-n", "600", "--seed", "5", "--chunk-size",
                                      "200", "--dask", address, "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["run"]["chunks"] == 3 and data["run"]["where"] == "ClientExecutor"
    alone = sample(load("korea-2017"), samples=600, rng=5, workers=1)
    assert data["issues"]["NUC"]["median"] == alone.summaries()["NUC"].median
