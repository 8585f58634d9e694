"""Tests for eros_testing.bq_emulator against a real bqemulator process.

Needs the emulator virtualenv: the session fixture ``bqemu_venv`` (conftest.py) runs
scripts/bqemulator_setup.sh when it is missing, and the tests fail (never skip) when
it cannot be installed.
"""

from __future__ import annotations

import datetime as dt
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from eros_testing.bq_emulator import BigQueryEmulator, BigQueryEmulatorError

PROJECT = "of-scheduler-proj"
DATASET = "harness_ds"

needs_emulator = pytest.mark.usefixtures("bqemu_venv")

CSV_TEXT = (
    "ts,amount,qty,is_paid,day,name\n"
    "2024-01-01 08:00:00,10.5,3,true,2024-01-01,alpha\n"
    "2024-01-02T23:30:00Z,-2.25,-1,false,2024-01-02,\"comma, inside\"\n"
    "2024-01-03 01:15:00.123456,0,0,true,2024-01-03,\n"
)
SCHEMA = [
    ("ts", "TIMESTAMP"),
    ("amount", "FLOAT"),
    ("qty", "INT64"),
    ("is_paid", "BOOL"),
    ("day", "DATE"),
    ("name", "STRING"),
]


@pytest.fixture(scope="module")
def emulator(bqemu_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigQueryEmulator]:
    log = tmp_path_factory.mktemp("bqemu") / "emulator.log"
    with BigQueryEmulator(project=PROJECT, venv_dir=bqemu_venv, log_path=log) as emu:
        yield emu
    assert not emu.is_running


@needs_emulator
def test_load_csv_and_query_back(emulator: BigQueryEmulator, tmp_path: Path) -> None:
    assert emulator.endpoint.startswith("http://127.0.0.1:")
    emulator.create_dataset(DATASET)
    csv_path = tmp_path / "events.csv"
    csv_path.write_text(CSV_TEXT)

    table = emulator.load_csv(DATASET, "events", csv_path, SCHEMA)
    assert table.num_rows == 3
    # The emulator echoes the type names it was given (INT64, BOOL); real
    # BigQuery reports the legacy names (INTEGER, BOOLEAN). Compare normalised.
    legacy = {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN"}
    assert [(f.name, legacy.get(f.field_type, f.field_type)) for f in table.schema] == [
        ("ts", "TIMESTAMP"),
        ("amount", "FLOAT"),
        ("qty", "INTEGER"),
        ("is_paid", "BOOLEAN"),
        ("day", "DATE"),
        ("name", "STRING"),
    ]

    rows = emulator.query(
        f"select ts, amount, qty, is_paid, day, name, "
        f"  date(ts, 'America/Los_Angeles') as day_la "
        f"from `{PROJECT}`.{DATASET}.events order by ts"
    )
    utc = dt.UTC
    assert rows == [
        {
            "ts": dt.datetime(2024, 1, 1, 8, 0, tzinfo=utc),
            "amount": 10.5,
            "qty": 3,
            "is_paid": True,
            "day": dt.date(2024, 1, 1),
            "name": "alpha",
            "day_la": dt.date(2024, 1, 1),
        },
        {
            "ts": dt.datetime(2024, 1, 2, 23, 30, tzinfo=utc),
            "amount": -2.25,
            "qty": -1,
            "is_paid": False,
            "day": dt.date(2024, 1, 2),
            "name": "comma, inside",
            "day_la": dt.date(2024, 1, 2),
        },
        {
            "ts": dt.datetime(2024, 1, 3, 1, 15, 0, 123456, tzinfo=utc),
            "amount": 0.0,
            "qty": 0,
            "is_paid": True,
            "day": dt.date(2024, 1, 3),
            "name": None,  # empty unquoted CSV field -> NULL, as in BigQuery
            "day_la": dt.date(2024, 1, 2),
        },
    ]

    # Appending by streaming insert, and the fully quoted project.dataset.table form.
    emulator.insert_rows(DATASET, "events", [{"ts": "2024-02-01 00:00:00", "qty": 7, "name": "s"}])
    [agg] = emulator.query(
        f"select count(*) as n, sum(qty) as total from `{PROJECT}.{DATASET}.events`"
    )
    assert agg == {"n": 4, "total": 9}


@needs_emulator
def test_dbt_target_points_at_emulator(emulator: BigQueryEmulator) -> None:
    target = emulator.dbt_target("some_dataset")
    assert target["api_endpoint"] == emulator.endpoint
    assert target["project"] == PROJECT
    assert target["method"] == "oauth-secrets"


def test_not_started_raises_clear_error() -> None:
    emu = BigQueryEmulator()
    with pytest.raises(BigQueryEmulatorError, match="not running"):
        emu.client()
    with pytest.raises(BigQueryEmulatorError, match="not running"):
        _ = emu.endpoint
    emu.stop()  # stopping a never-started emulator is a no-op


def test_missing_venv_raises_clear_error(tmp_path: Path) -> None:
    emu = BigQueryEmulator(venv_dir=tmp_path / "nowhere")
    with pytest.raises(BigQueryEmulatorError, match="bqemulator_setup.sh"):
        emu.start()


def test_crash_during_startup_reports_log_tail(tmp_path: Path) -> None:
    fake_bin = tmp_path / "venv" / "bin"
    fake_bin.mkdir(parents=True)
    script = fake_bin / "bqemulator"
    script.write_text("#!/bin/sh\necho 'simulated startup failure: spatial missing' >&2\nexit 3\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)

    emu = BigQueryEmulator(venv_dir=tmp_path / "venv", log_path=tmp_path / "emu.log")
    with pytest.raises(BigQueryEmulatorError) as info:
        emu.start()
    message = str(info.value)
    assert "exited with code 3" in message
    assert "simulated startup failure: spatial missing" in message
    assert not emu.is_running


def test_never_ready_times_out_and_kills_process(tmp_path: Path) -> None:
    fake_bin = tmp_path / "venv" / "bin"
    fake_bin.mkdir(parents=True)
    script = fake_bin / "bqemulator"
    script.write_text("#!/bin/sh\necho 'hanging without listening'\nexec sleep 300\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)

    emu = BigQueryEmulator(
        venv_dir=tmp_path / "venv", log_path=tmp_path / "emu.log", startup_timeout=1.5
    )
    with pytest.raises(BigQueryEmulatorError, match="did not become ready") as info:
        emu.start()
    assert "hanging without listening" in str(info.value)
    assert not emu.is_running


@needs_emulator
def test_crashed_emulator_raises_clear_error(tmp_path: Path) -> None:
    emu = BigQueryEmulator(project=PROJECT, log_path=tmp_path / "emu.log").start()
    try:
        assert emu.query("select 1 as one") == [{"one": 1}]
        assert emu._proc is not None
        emu._proc.kill()  # simulate a crash
        emu._proc.wait(timeout=10)
        with pytest.raises(BigQueryEmulatorError, match="has exited"):
            emu.client()
    finally:
        emu.stop()
    assert not emu.is_running


@needs_emulator
def test_port_in_use_fails_with_log_tail(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        emu = BigQueryEmulator(project=PROJECT, port=port, log_path=tmp_path / "emu.log")
        with pytest.raises(BigQueryEmulatorError) as info:
            emu.start()
    assert "address already in use" in str(info.value).lower()
    assert not emu.is_running
