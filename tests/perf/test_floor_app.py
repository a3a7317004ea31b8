"""The API bench's floor app: driven by the same machinery, every 201 it gives is a transfer."""

from __future__ import annotations

from tests.perf import api_load, bench_api, ledger_load


def test_the_floor_app_records_every_201_as_a_transfer_that_verifies(database_url):
    bank = bench_api.seed_api_bank(database_url, members=12)
    env = api_load.production_environment(database_url)
    settings = api_load.ServerSettings(workers=1, worker_class="gthread", threads=2)
    with api_load.gunicorn(env, settings, "tests.perf.floor_app:app") as server:
        before = ledger_load.count_transfers(database_url)
        make = bench_api.transfer_requests(bank, server.port, seed=1)
        outcome = api_load.drive(server.port, make, clients=2, warmup=0.5, seconds=1)
        bench_api.check_outcome(bank, before, outcome)

    assert outcome.measured[201] > 0 and outcome.failures() == 0
    assert outcome.connections == 2
