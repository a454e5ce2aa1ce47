"""DuckDB's sandbox as Skein runs it by default: no file access outside the configured directories
(none on the shared server), no extension installs or loads, and no SET except of the settings users
may change for their own session. Refusals are PERMISSION_DENIED ("UNAUTHORIZED" to ADBC), and the
server keeps serving. Private servers show sandbox.allowedDirectories and sandbox.enabled = false.
"""

import os
import shutil
import tempfile
import uuid

import pyarrow.flight as flight
import pytest

import helpers


def rows(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def script(conn, sql):
    """Runs sql (one statement or several) as an update, without preparing it first."""
    with conn.cursor() as cur:
        cur.executescript(sql)


def assert_denied(exc, text=""):
    message = str(exc)
    # ADBC names PERMISSION_DENIED "UNAUTHORIZED"; the gRPC code is at the end of the message
    assert message.startswith("UNAUTHORIZED:"), message
    assert "PermissionDenied" in message, message
    assert text in message, message


@pytest.fixture
def outside_dir():
    d = tempfile.mkdtemp(prefix="skein-sandbox-outside-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_parquet('/tmp/*.parquet')",
])
def test_reading_files_is_denied(conn, sql):
    with pytest.raises(Exception) as info:
        rows(conn, sql)
    assert_denied(info.value, "Permission Error")


def test_reading_files_is_denied_on_the_wire(flight_session):
    with pytest.raises(flight.FlightUnauthorizedError, match="Cannot access file"):
        flight_session.flight_info("SELECT * FROM read_csv('/etc/passwd')")


def test_writing_files_is_denied(conn, outside_dir):
    target = os.path.join(outside_dir, "out.csv")
    for sql in (f"COPY (SELECT 1 AS a) TO '{target}'",
                f"EXPORT DATABASE '{outside_dir}/export'",
                f"SELECT 1; COPY (SELECT 1 AS a) TO '{target}'"):
        with pytest.raises(Exception) as info:
            script(conn, sql)
        assert_denied(info.value, "Permission Error")
    assert os.listdir(outside_dir) == []


def test_attach_outside_allowed_directories_is_denied(conn, outside_dir):
    with pytest.raises(Exception) as info:
        script(conn, f"ATTACH '{outside_dir}/x.duckdb' AS sandbox_x")
    assert_denied(info.value, "Permission Error")
    assert os.listdir(outside_dir) == []
    # an in-memory database touches no file
    name = f"sandbox_mem_{uuid.uuid4().hex[:8]}"
    script(conn, f"ATTACH ':memory:' AS {name}")
    script(conn, f"DETACH {name}")


@pytest.mark.parametrize("sql", ["INSTALL httpfs", "FORCE INSTALL httpfs", "LOAD httpfs",
                                 "LOAD '/tmp/evil.duckdb_extension'", "SELECT 1; INSTALL httpfs"])
def test_extensions_are_denied(conn, sql):
    with pytest.raises(Exception) as info:
        script(conn, sql)
    assert_denied(info.value, "extensions is disabled")


@pytest.mark.parametrize("sql", [
    "SET threads = 1",
    "SET threads TO 1",
    "SET SESSION threads = 1",
    "SET GLOBAL threads = 1",
    "SET GLOBAL TimeZone = 'UTC'",
    "RESET threads",
    "PRAGMA threads = 1",
    "/* hidden */ SET \"threads\" = 1",
    "SET enable_external_access = true",
    "SET allowed_directories = ['/']",
    "SET memory_limit = '1GB'",
    "SET autoinstall_known_extensions = true",
    "USE memory; SET GLOBAL threads = 1",
    "SELECT 1; SET threads = 2",
    "SET TimeZone = 'UTC'; SET threads = 2",
])
def test_changing_server_settings_is_denied(conn, sql):
    before = rows(conn, "SELECT current_setting('threads'), current_setting('memory_limit')")
    with pytest.raises(Exception) as info:
        script(conn, sql)
    assert_denied(info.value, "not allowed")
    assert rows(conn, "SELECT current_setting('threads'), current_setting('memory_limit')") == before


def test_prepared_set_is_denied_too(conn):
    with pytest.raises(Exception) as info:
        rows(conn, "SET threads = 1")  # the DBAPI prepares it first
    assert_denied(info.value, "SET threads is not allowed")


def test_session_settings_may_be_set(conn, flight_session):
    for sql in ("SET TimeZone = 'Asia/Tokyo'", "SET SESSION timezone = 'UTC'", "RESET TimeZone",
                "SET SESSION default_order = 'DESC'", "RESET SESSION default_order", "SET VARIABLE sandbox_v = 42",
                "USE memory; SET TimeZone = 'UTC'"):
        script(conn, sql)
    # a script's SET applies to the rest of the script (each statement otherwise has its own connection)
    _, tables = flight_session.query(
        "SET TimeZone = 'Asia/Tokyo'; SET SESSION default_order = 'DESC'; "
        "SELECT current_setting('TimeZone') AS tz, list(i ORDER BY i) AS l FROM range(3) t(i)")
    assert tables[0].to_pylist() == [{"tz": "Asia/Tokyo", "l": [2, 1, 0]}]


# Each user-settable setting with a value that differs from the default, and a query showing it.
SESSION_SETTINGS = {
    "TimeZone": ("'Asia/Tokyo'", "SELECT current_setting('TimeZone')"),
    "Calendar": ("'japanese'", "SELECT current_setting('Calendar')"),
    "search_path": ("'memory.main,system.main'", "SELECT current_setting('search_path')"),
    "default_order": ("'DESC'", "SELECT list(i ORDER BY i) FROM range(3) t(i)"),
    "default_null_order": ("'NULLS_FIRST'", "SELECT list(i ORDER BY i) FROM (VALUES (1), (NULL)) t(i)"),
    "default_collation": ("'nocase'", "SELECT 'a' = 'A'"),
    "integer_division": ("true", "SELECT current_setting('integer_division')"),
    "preserve_insertion_order": ("false", "SELECT current_setting('preserve_insertion_order')"),
    "max_expression_depth": ("77", "SELECT current_setting('max_expression_depth')"),
    "ordered_aggregate_threshold": ("1234", "SELECT current_setting('ordered_aggregate_threshold')"),
    "errors_as_json": ("true", "SELECT current_setting('errors_as_json')"),
    "enable_progress_bar": ("true", "SELECT current_setting('enable_progress_bar')"),
}


@pytest.mark.parametrize("name", sorted(SESSION_SETTINGS))
@pytest.mark.parametrize("form", ["SET {name} = {value}", "PRAGMA {name} = {value}", "RESET {name}",
                                  "SET SESSION {name} = {value}", "RESET SESSION {name}"])
def test_a_user_setting_never_changes_other_users(conn, flight_session, name, form):
    """A scope-less SET of some settings (default_order, …) changes DuckDB's global value: the
    sandbox must refuse it (asking for SET SESSION) or it must stay on the statement's connection."""
    value, probe = SESSION_SETTINGS[name]
    before = rows(conn, probe)
    sql = form.format(name=name, value=value)
    try:
        script(conn, sql)
    except Exception as e:  # noqa: BLE001 - a refusal must be PERMISSION_DENIED asking for SESSION
        assert_denied(e, f"write {'RESET' if form.startswith('RESET') else 'SET'} SESSION {name}")
    assert rows(conn, probe) == before, f"{sql!r} changed the setting for everyone"
    if form.startswith("SET SESSION"):
        _, tables = flight_session.query(f"{sql}; {probe}")
        assert [tuple(r.values()) for r in tables[0].to_pylist()] != before, f"{sql!r} had no effect"


def test_server_keeps_serving(conn, flight_session):
    for sql in ("INSTALL httpfs", "SET GLOBAL threads = 1", "SELECT * FROM read_csv('/etc/passwd')"):
        with pytest.raises(Exception):
            script(conn, sql)
    assert rows(conn, "SELECT 40 + 2") == [(42,)]
    _, tables = flight_session.query("SELECT 'still here' AS s")
    assert tables[0].to_pylist() == [{"s": "still here"}]


# --- private servers: allowed directories, sandbox off ----------------------------------------

@pytest.fixture
def allowed_dir():
    d = tempfile.mkdtemp(prefix="skein-sandbox-allowed-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_allowed_directories(allowed_dir, outside_dir):
    srv = helpers.PrivateServer(extra_config={"sandbox": {"allowedDirectories": [allowed_dir]}})
    try:
        conn = helpers.connect(srv)
        try:
            inside = os.path.join(allowed_dir, "numbers.csv")
            script(conn, f"COPY (SELECT i, i * i AS sq FROM range(5) t(i)) TO '{inside}' (HEADER)")
            assert os.path.exists(inside)
            assert rows(conn, f"SELECT sum(i), sum(sq) FROM read_csv('{inside}')") == [(10, 30)]
            script(conn, f"COPY (SELECT 'p' AS v) TO '{allowed_dir}/v.parquet' (FORMAT parquet)")
            assert rows(conn, f"SELECT v FROM '{allowed_dir}/v.parquet'") == [("p",)]
            db_file = os.path.join(allowed_dir, "side.duckdb")
            script(conn, f"ATTACH '{db_file}' AS side")
            script(conn, "CREATE TABLE side.kept AS SELECT 7 AS seven")
            assert rows(conn, "SELECT seven FROM side.kept") == [(7,)]
            script(conn, "DETACH side")
            assert os.path.exists(db_file)

            outside = os.path.join(outside_dir, "numbers.csv")
            shutil.copy(inside, outside)
            for sql in (f"SELECT * FROM read_csv('{outside}')",
                        f"SELECT * FROM read_csv('{allowed_dir}/../{os.path.basename(outside_dir)}/numbers.csv')",
                        "SELECT * FROM read_csv('/etc/passwd')"):
                with pytest.raises(Exception) as info:
                    rows(conn, sql)
                assert_denied(info.value, "Permission Error")
            with pytest.raises(Exception) as info:
                script(conn, f"COPY (SELECT 1) TO '{outside_dir}/written.csv'")
            assert_denied(info.value, "Permission Error")
            assert os.listdir(outside_dir) == ["numbers.csv"]
            with pytest.raises(Exception) as info:
                script(conn, "LOAD httpfs")
            assert_denied(info.value, "extensions is disabled")
        finally:
            conn.close()
    finally:
        assert srv.stop(), "the private server did not stop on SIGTERM"


def test_sandbox_disabled(outside_dir):
    srv = helpers.PrivateServer(extra_config={"sandbox": {"enabled": False}})
    try:
        conn = helpers.connect(srv)
        try:
            target = os.path.join(outside_dir, "free.csv")
            script(conn, f"COPY (SELECT 'free' AS v) TO '{target}' (HEADER)")
            assert rows(conn, f"SELECT v FROM read_csv('{target}')") == [("free",)]
            assert rows(conn, "SELECT count(*) > 0 FROM read_csv('/etc/passwd', sep=':', header=false)") == [(True,)]
            script(conn, "SET threads = 2")  # no setting is off limits
        finally:
            conn.close()
    finally:
        assert srv.stop(), "the private server did not stop on SIGTERM"
