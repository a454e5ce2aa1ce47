"""Helpers shared by the Python bench clients: Flight SQL over low-level pyarrow.flight, ADBC, timing."""

import json
import math
import time

import pyarrow.flight as flight

BENCH_SQL_CREATE = (
    "CREATE OR REPLACE TABLE bench10m AS SELECT i::BIGINT a, i::DOUBLE b, "
    "(i % 1000000)::INTEGER c, (i*0.5)::DOUBLE d FROM range({rows}) t(i)"
)


# ---- minimal protobuf encoding (only what Flight SQL commands need) ----

def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _len_field(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def command_statement_query(sql: str) -> bytes:
    """Any{type_url = 1, value = 2: CommandStatementQuery{query = 1}}."""
    inner = _len_field(1, sql.encode("utf-8"))
    return _len_field(1, b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery") + _len_field(
        2, inner
    )


class LowLevelFlightSql:
    """Flight SQL by hand: GetFlightInfo(CommandStatementQuery) then DoGet of each endpoint."""

    def __init__(self, uri: str, user: str | None = None, password: str | None = None):
        self.client = flight.FlightClient(uri)
        headers = []
        if user is not None:
            headers.append(self.client.authenticate_basic_token(user, password))
        self.options = flight.FlightCallOptions(headers=headers)

    def query(self, sql: str):
        info = self.client.get_flight_info(flight.FlightDescriptor.for_command(command_statement_query(sql)), self.options)
        tables = [self.client.do_get(ep.ticket, self.options).read_all() for ep in info.endpoints]
        if len(tables) == 1:
            return tables[0]
        import pyarrow as pa

        return pa.concat_tables(tables)

    def close(self):
        self.client.close()


def adbc_connect(uri: str, user: str | None = None, password: str | None = None):
    import adbc_driver_flightsql.dbapi as fsql

    db_kwargs = {}
    if user is not None:
        db_kwargs = {"username": user, "password": password}
    # autocommit=True: no transaction RPCs at connect time.
    return fsql.connect(uri, db_kwargs=db_kwargs, autocommit=True)


def adbc_update(conn, sql: str):
    """Run a statement through ADBC's update path (ExecuteUpdate → CommandStatementUpdate)."""
    with conn.cursor() as cur:
        cur.adbc_statement.set_sql_query(sql)
        return cur.adbc_statement.execute_update()


def now() -> float:
    return time.perf_counter()


def percentile(sorted_values, p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    k = max(0, math.ceil(p * len(sorted_values)) - 1)
    return sorted_values[k]


def write_json(path: str | None, obj) -> None:
    line = json.dumps(obj)
    if path:
        with open(path, "w") as f:
            f.write(line + "\n")
    print(line, flush=True)
