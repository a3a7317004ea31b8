"""The benchmark's machinery, run for a second: it counts every transfer and the ledger verifies."""

from __future__ import annotations

import pytest

from tests.databases import create_postgres_database, drop_postgres_database, migrate
from tests.perf import bench_broker, bench_report, ledger_load
from tests.perf.pgbench import init_pgbench, read_tps, run_tpcb_like

PGBENCH_OUTPUT = """\
number of transactions actually processed: 20712
latency average = 3.864 ms
initial connection time = 12.588 ms
tps = 2070.468090 (without initial connection time)
"""


@pytest.fixture
def postgres_url(databases):
    """Return the URL of a fresh, empty database of the benchmark's own, dropped after."""
    url = create_postgres_database("timebank_bench")
    yield url
    drop_postgres_database(url)


def test_pgbench_tps_is_read_without_the_connection_time():
    assert read_tps(PGBENCH_OUTPUT) == pytest.approx(2070.468090)


@pytest.mark.postgres_only
def test_pgbench_tpcb_like_runs_and_reports_its_tps(postgres_url):
    init_pgbench(postgres_url, scale=1)
    assert run_tpcb_like(postgres_url, clients=2, threads=1, seconds=1, protocol="simple") > 0


@pytest.mark.postgres_only
def test_workers_count_exactly_the_transfers_the_database_gained_and_it_verifies(postgres_url):
    migrate(postgres_url)
    bench = ledger_load.seed_bank(postgres_url, members=12)
    before = ledger_load.count_transfers(postgres_url)
    tally = ledger_load.post_concurrently(bench, bench.member_ids, workers=2, seconds=1, seed=1)
    assert tally.committed > 0
    assert tally.warmup == 2 * ledger_load.WARMUP_TRANSFERS
    assert ledger_load.count_transfers(postgres_url) - before == tally.committed + tally.warmup
    assert ledger_load.verify(postgres_url).ok


@pytest.mark.postgres_only
def test_the_broker_bench_builds_its_banks_and_measures_them_at_a_tiny_scale(postgres_url):
    migrate(postgres_url)
    bank = bench_broker.build_matching_bank(postgres_url, members=80, offers=500, requests=6)
    requests = bench_broker.request_ids(postgres_url, bank, 6)

    timings = bench_broker.time_matching(postgres_url, bank, requests)

    assert len(timings) == 6 and all(ms > 0 for ms in timings)
    assert bench_broker.check_against_reference(postgres_url, bank, requests) == 6
    quiet = bench_broker.build_dormancy_bank(postgres_url, members=300, transfers=6000)
    assert "transfers 6,000" in bench_broker.counts(postgres_url, quiet)
    with ledger_load.ledger_session(postgres_url) as session:
        run = bench_broker.time_scan(session, quiet)
    assert run.flags > 0
    assert run.server_cursor
    assert run.peak_mb > 0


def test_the_api_bench_posts_through_gunicorn_and_every_201_is_a_transfer(database_url):
    from tests.perf import api_load, bench_api

    bank = bench_api.seed_api_bank(database_url, members=12)
    env = api_load.production_environment(database_url)
    server_settings = api_load.ServerSettings(workers=1, worker_class="gthread", threads=2)
    with api_load.gunicorn(env, server_settings) as server:
        before = ledger_load.count_transfers(database_url)
        make = bench_api.transfer_requests(bank, server.port, seed=1)
        outcome = api_load.drive(server.port, make, clients=2, warmup=0.5, seconds=2)
        rss = server.worker_rss_mb()
        bench_api.check_outcome(bank, before, outcome)

    assert outcome.measured[201] > 0 and outcome.failures() == 0
    assert outcome.connections == 2  # keep-alive: one connection per client for the whole run
    assert 0 < outcome.percentile_ms(0.5) <= outcome.percentile_ms(0.99) < 2000
    assert len(rss) == 1 and 20 < max(rss.values()) < 1000


@pytest.mark.postgres_only
def test_the_report_bench_builds_a_consistent_bank_and_times_the_year_report_and_its_page(
    postgres_url,
):
    migrate(postgres_url)
    bank = bench_report.build_report_bank(postgres_url, members=300, transfers=6000)
    summary = bench_report.counts(postgres_url, bank)
    assert "transfers 6,000" in summary and "reversals 12" in summary
    assert ledger_load.verify(postgres_url).ok
    with bench_broker.raw(postgres_url) as conn:
        out_of_order = conn.execute(
            """SELECT count(*) FROM referrals AS r LEFT JOIN members AS m ON m.id = r.member_id
               WHERE r.invited_at < r.created_at OR r.answered_at < r.invited_at
                  OR r.first_exchange_at < r.joined_at OR r.closed_at < r.first_exchange_at
                  OR r.joined_at <> m.joined_at OR (r.joined_at IS NULL) <> (m.id IS NULL)"""
        ).fetchone()[0]
    assert out_of_order == 0

    assert bench_report.time_refresh(postgres_url, bank) > 0
    builds, report, statements = bench_report.time_build(postgres_url, bank, runs=1)
    bench_report.check_report(postgres_url, bank, report)
    pages = bench_report.time_page(postgres_url, bank, runs=1, report=report)

    assert len(builds) == 1 and builds[0] > 0 and statements.timings
    assert len(pages) == 1 and pages[0] > 0
    # Exchanges recorded since are in the next report at once, also for a cut period.
    assert bench_report.time_catch_up(postgres_url, bank) > 0
    start = bench_report.DAYS_90_START
    builds, report, _statements = bench_report.time_build(
        postgres_url, bank, 1, start, bench_report.TODAY
    )
    bench_report.check_report(postgres_url, bank, report, start, bench_report.TODAY)
    assert bench_report.time_page(postgres_url, bank, 1, report, start, bench_report.TODAY)


def test_the_report_bench_fails_when_the_page_leaves_out_a_headline_figure():
    from timebank.reports.tables import Figure, Report, Section

    figures = (Figure("exchanges", "Exchanges", 1234), Figure("new_members", "New members", 56))
    report = Report(
        "Bench",
        bench_report.YEAR_START,
        bench_report.TODAY,
        "broker",
        (Section("exchanges", "Exchanges", figures),),
    )

    bench_report.page_shows("<p>1,234 exchanges</p><p>56 new members</p>", report)
    with pytest.raises(bench_report.BenchFailed, match="new_members"):
        bench_report.page_shows("<p>1,234 exchanges</p>", report)


@pytest.mark.postgres_only
def test_the_porting_bench_imports_and_exports_a_small_bank_that_verifies(postgres_url):
    from tests.perf import bench_porting

    migrate(postgres_url)

    seconds = bench_porting.measure(postgres_url, members=50, exchanges=400)

    assert seconds["import"] > 0 and seconds["export"] > 0
