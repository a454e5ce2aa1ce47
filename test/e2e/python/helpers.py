"""Shared helpers for the Python end-to-end suite (ADBC DBAPI + pyarrow.flight)."""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pyarrow as pa
import pyarrow.flight as flight
import adbc_driver_flightsql.dbapi as flightsql

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SCRIPT_DIR = os.path.join(REPO_ROOT, "test", "e2e", "script")
sys.path.insert(0, SCRIPT_DIR)

import canonical  # noqa: E402
import flight_proto  # noqa: E402

# gRPC status codes, named as the ADBC Flight SQL (Go) driver prints them at the end of its error
# messages: "[FlightSQL] <server message> (<Code>; <context>)".
GRPC_CANCELLED = "Canceled"
GRPC_INVALID_ARGUMENT = "InvalidArgument"
GRPC_DEADLINE_EXCEEDED = "DeadlineExceeded"
GRPC_NOT_FOUND = "NotFound"
GRPC_UNIMPLEMENTED = "Unimplemented"
GRPC_UNAUTHENTICATED = "Unauthenticated"
_GRPC_NUMBERS = {1: GRPC_CANCELLED, 3: GRPC_INVALID_ARGUMENT, 4: GRPC_DEADLINE_EXCEEDED, 5: GRPC_NOT_FOUND,
                 12: GRPC_UNIMPLEMENTED, 16: GRPC_UNAUTHENTICATED}

# Client-side deadlines for every ADBC call (adbc.flight.sql.rpc.timeout_seconds.*), so a
# misbehaving server fails a test instead of hanging the run: SKEIN_TEST_RPC_TIMEOUT=<seconds> (off by default).
RPC_TIMEOUT_SECONDS = os.environ.get("SKEIN_TEST_RPC_TIMEOUT", "0")
DEADLINE_OPTIONS = ("query", "fetch", "update")


class Server:
    def __init__(self, uri, user, password, pid=None):
        self.uri = uri
        self.user = user
        self.password = password
        self.pid = pid

    @property
    def host_port(self):
        m = re.match(r"^grpc(?:\+tcp)?://([^/]+)$", self.uri)
        if not m:
            raise ValueError(f"unsupported URI {self.uri!r}")
        return m.group(1)


def server_from_env():
    missing = [n for n in ("SKEIN_TEST_URI", "SKEIN_TEST_USER", "SKEIN_TEST_PASSWORD") if not os.environ.get(n)]
    if missing:
        raise RuntimeError("environment variables not set: " + ", ".join(missing) + " (see test/e2e/README.md)")
    return Server(os.environ["SKEIN_TEST_URI"], os.environ["SKEIN_TEST_USER"], os.environ["SKEIN_TEST_PASSWORD"])


def expected_dir():
    d = os.environ.get("SKEIN_EXPECTED_DIR")
    if not d:
        raise RuntimeError("SKEIN_EXPECTED_DIR is not set (run test/e2e/script/make_expected.py OUTDIR)")
    return d


def load_script():
    with open(os.path.join(SCRIPT_DIR, "script.json"), encoding="utf-8") as f:
        return json.load(f)


def connect(server, user=..., password=..., autocommit=True, **db_kwargs):
    """ADBC DBAPI connection (autocommit unless autocommit=False, which opens a Flight SQL
    transaction); user/password None means no credentials."""
    user = server.user if user is ... else user
    password = server.password if password is ... else password
    kwargs = {}
    if RPC_TIMEOUT_SECONDS not in ("", "0"):
        for kind in DEADLINE_OPTIONS:
            kwargs["adbc.flight.sql.rpc.timeout_seconds." + kind] = RPC_TIMEOUT_SECONDS
    if user is not None:
        kwargs["username"] = user
        kwargs["password"] = password
    kwargs.update(db_kwargs)
    return flightsql.connect(server.uri, db_kwargs=kwargs, autocommit=autocommit)


def query_table(conn, sql, params=None):
    with conn.cursor() as cur:
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(sql, params)
        return cur.fetch_arrow_table()


def query_rows(conn, sql, params=None):
    with conn.cursor() as cur:
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(sql, params)
        return cur.fetchall()


# --- Flight SQL commands, hand-encoded -------------------------------------------------------

_len_field = flight_proto.field_len
pack_any = flight_proto.pack_any


def statement_query_command(sql):
    """google.protobuf.Any{CommandStatementQuery{query = sql}} as bytes."""
    return pack_any("CommandStatementQuery", _len_field(1, sql.encode("utf-8")))


def statement_descriptor(sql):
    return flight.FlightDescriptor.for_command(statement_query_command(sql))


class FlightSession:
    """pyarrow.flight client authenticated with Basic -> Bearer."""

    def __init__(self, server, user=..., password=...):
        self.client = flight.FlightClient(server.uri)
        user = server.user if user is ... else user
        password = server.password if password is ... else password
        self.auth_header = self.client.authenticate_basic_token(user, password)

    def options(self, timeout=None):
        return flight.FlightCallOptions(headers=[self.auth_header], timeout=timeout)

    def flight_info(self, sql, timeout=None):
        return self.client.get_flight_info(statement_descriptor(sql), self.options(timeout))

    def read_endpoint(self, endpoint, timeout=None):
        return self.client.do_get(endpoint.ticket, self.options(timeout))

    def query(self, sql):
        info = self.flight_info(sql)
        tables = [self.read_endpoint(ep).read_all() for ep in info.endpoints]
        return info, tables

    def close(self):
        self.client.close()


# --- comparing answers --------------------------------------------------------------------------

def _sort_key(row):
    return json.dumps(row, ensure_ascii=False)


def assert_table_matches(actual, expected, ordered, label=""):
    """Names and Arrow types (field metadata ignored) and canonical cell values must agree."""
    a_names = actual.schema.names
    e_names = expected.schema.names
    assert a_names == e_names, f"{label}: column names {a_names} != expected {e_names}"
    mismatched = []
    for a_field, e_field in zip(actual.schema, expected.schema):
        if not a_field.type.equals(e_field.type, check_metadata=False):
            mismatched.append(f"{e_field.name}: got {a_field.type}, expected {e_field.type}")
    assert not mismatched, f"{label}: column types differ: " + "; ".join(mismatched)
    assert actual.num_rows == expected.num_rows, \
        f"{label}: {actual.num_rows} rows, expected {expected.num_rows}"
    a_rows = canonical.rows(actual)
    e_rows = canonical.rows(expected)
    if not ordered:
        a_rows.sort(key=_sort_key)
        e_rows.sort(key=_sort_key)
    for i, (a, e) in enumerate(zip(a_rows, e_rows)):
        assert a == e, f"{label}: row {i} differs:\n  got      {a}\n  expected {e}"


def read_arrows(path):
    with pa.OSFile(path, "rb") as f:
        return pa.ipc.open_stream(f).read_all()


def error_code(exc):
    """gRPC status code name carried by an ADBC DBAPI error: its vendor_code if the driver set one,
    else the "(<Code>; <context>)" suffix of the driver's message; None if neither is there."""
    vendor = getattr(exc, "vendor_code", None)
    if vendor:
        return _GRPC_NUMBERS.get(vendor, str(vendor))
    m = re.search(r"\((\w+); [^()]*\)\s*$", str(exc))
    return m.group(1) if m else None


def duckdb_error_first_line(sql):
    """DuckDB's own error message (first line) for `sql`, from the Python package."""
    import duckdb
    con = duckdb.connect()
    try:
        con.execute(sql)
    except duckdb.Error as e:
        return str(e).splitlines()[0]
    finally:
        con.close()
    raise AssertionError(f"DuckDB accepted {sql!r}")


# --- a private server (for cancellation and CPU measurements) ------------------------------

PRIVATE_USERS = [
    {"username": "alice", "password": "secret"},
    # "dave:pw1234567" is 14 bytes, so its base64 form carries '=' padding.
    {"username": "dave", "password": "pw1234567"},
]


class PrivateServer(Server):
    def __init__(self, extra_config=None):
        """extra_config: more config keys (e.g. "tls"); a TLS server gets a grpc+tls:// URI."""
        self.tmpdir = tempfile.mkdtemp(prefix="skein-py-e2e-")
        config = os.path.join(self.tmpdir, "config.json")
        with open(config, "w") as f:
            json.dump({"users": PRIVATE_USERS, **(extra_config or {})}, f)
        main = os.path.join(REPO_ROOT, "dist", "src", "cli", "main.js")
        if not os.path.exists(main):
            raise RuntimeError(f"{main} not found: build the server first (npm run build)")
        self.stderr_path = os.path.join(self.tmpdir, "stderr.log")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            ["node", main, "serve", "--host", "127.0.0.1", "--port", "0", "--config", config],
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL)
        lines = queue.Queue()

        def pump():
            for raw in self.proc.stdout:
                lines.put(raw.decode("utf-8", "replace"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 60
        port = None
        seen = []
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            seen.append(line)
            m = re.search(r"listening on (grpc|grpc\+tls)://127\.0\.0\.1:(\d+)", line)
            if m:
                scheme, port = m.group(1), int(m.group(2))
                break
        if port is None:
            self.stop()
            raise RuntimeError("private server did not report its port; stdout: %r stderr: %r"
                               % ("".join(seen), self.stderr_tail()))
        super().__init__(f"{scheme}://127.0.0.1:{port}", "alice", "secret", pid=self.proc.pid)

    def stderr_tail(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def cpu_rate(self, seconds):
        """Average number of busy cores over `seconds`."""
        c0, t0 = self.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        c1, t1 = self.cpu_seconds(), time.monotonic()
        return (c1 - c0) / (t1 - t0)

    def stop(self, grace=10):
        """SIGTERM, then SIGKILL after `grace` seconds. True if it exited on SIGTERM in time."""
        clean = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                clean = False
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self._stderr.closed:
            self._stderr.close()
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        return clean


def cross_join_sql(n):
    """A CPU-bound query whose cost grows with n*n and which DuckDB cannot short-cut."""
    return (f"SELECT count(*) AS n, sum((a.range * 31 + b.range) % 7) AS s "
            f"FROM range({int(n)}) a CROSS JOIN range({int(n)}) b")


def calibrate_cross_join(conn, target_seconds, start_n=6000):
    """n such that cross_join_sql(n) takes about target_seconds on this server."""
    n = start_n
    while True:
        t0 = time.monotonic()
        query_rows(conn, cross_join_sql(n))
        elapsed = time.monotonic() - t0
        if elapsed >= 0.3 or n >= 200_000:
            break
        n *= 2
    scaled = n * (target_seconds / max(elapsed, 1e-3)) ** 0.5
    return int(min(max(scaled, n), 2_000_000))
