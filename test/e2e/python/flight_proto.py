"""Just enough protobuf, by hand, for the transaction and session actions the raw pyarrow.flight
tests send (Flight SQL transactions, Flight session options), so the suite needs no protobuf package.
Field numbers follow proto/Flight.proto and proto/FlightSql.proto.
"""

import struct

import pyarrow.flight as flight

# --- wire format ------------------------------------------------------------------------------

VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5


def varint(n):
    n &= (1 << 64) - 1  # negative int64 values are ten-byte two's complement on the wire
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(number, wire_type):
    return varint((number << 3) | wire_type)


def field_len(number, payload):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return tag(number, LEN) + varint(len(payload)) + payload


def field_varint(number, n):
    return tag(number, VARINT) + varint(n)


def _read_varint(buf, i):
    shift = 0
    n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, i
        shift += 7


def parse(buf):
    """[(field number, wire type, value)]: value is an int (varint), or the raw bytes."""
    out = []
    i = 0
    buf = bytes(buf)
    while i < len(buf):
        key, i = _read_varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, i = _read_varint(buf, i)
        elif wire == FIXED64:
            value, i = buf[i:i + 8], i + 8
        elif wire == FIXED32:
            value, i = buf[i:i + 4], i + 4
        elif wire == LEN:
            n, i = _read_varint(buf, i)
            value, i = buf[i:i + n], i + n
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def first(fields, number, default=None):
    return next((v for n, _, v in fields if n == number), default)


# --- google.protobuf.Any ----------------------------------------------------------------------

SQL_PREFIX = "type.googleapis.com/arrow.flight.protocol.sql."


def pack_any(message_name, payload):
    return field_len(1, SQL_PREFIX + message_name) + field_len(2, payload)


def unpack_any(buf):
    fields = parse(buf)
    return first(fields, 1, b"").decode(), first(fields, 2, b"")


# --- Flight SQL: transactions, statements, SqlInfo ------------------------------------------

COMMIT, ROLLBACK = 1, 2


def begin_transaction(client, options):
    """DoAction BeginTransaction; returns the transaction id (bytes)."""
    body = pack_any("ActionBeginTransactionRequest", b"")
    results = list(client.do_action(flight.Action("BeginTransaction", body), options))
    assert len(results) == 1, results
    type_url, value = unpack_any(results[0].body.to_pybytes())
    assert type_url == SQL_PREFIX + "ActionBeginTransactionResult", type_url
    txn = first(parse(value), 1)
    assert txn, "BeginTransaction returned no transaction id"
    return txn


def end_transaction(client, options, txn, action):
    body = pack_any("ActionEndTransactionRequest", field_len(1, txn) + field_varint(2, action))
    return list(client.do_action(flight.Action("EndTransaction", body), options))


def statement_query(sql, txn=None):
    payload = field_len(1, sql) + (field_len(2, txn) if txn is not None else b"")
    return flight.FlightDescriptor.for_command(pack_any("CommandStatementQuery", payload))


def statement_update(sql, txn=None):
    payload = field_len(1, sql) + (field_len(2, txn) if txn is not None else b"")
    return flight.FlightDescriptor.for_command(pack_any("CommandStatementUpdate", payload))


def sql_info(*ids):
    payload = b"".join(field_varint(1, i) for i in ids)
    return flight.FlightDescriptor.for_command(pack_any("CommandGetSqlInfo", payload))


def query(client, options, descriptor):
    """GetFlightInfo then DoGet of every endpoint, as one pyarrow Table."""
    import pyarrow as pa
    info = client.get_flight_info(descriptor, options)
    tables = [client.do_get(ep.ticket, options).read_all() for ep in info.endpoints]
    return pa.concat_tables(tables) if tables else None


def update(client, options, descriptor):
    """DoPut of a CommandStatementUpdate (no data); returns DoPutUpdateResult.record_count."""
    import pyarrow as pa
    writer, reader = client.do_put(descriptor, pa.schema([]), options)
    writer.done_writing()
    meta = reader.read()
    writer.close()
    assert meta is not None, "DoPut returned no DoPutUpdateResult"
    return first(parse(meta.to_pybytes()), 1, 0)


# --- Flight session options (raw messages, not Any) ------------------------------------------

def option_value(value):
    """SessionOptionValue for a Python value; None is the empty value, which erases the option."""
    if value is None:
        return b""
    if isinstance(value, bool):
        return field_varint(2, int(value))
    if isinstance(value, int):
        return tag(3, FIXED64) + struct.pack("<q", value)
    if isinstance(value, float):
        return tag(4, FIXED64) + struct.pack("<d", value)
    if isinstance(value, str):
        return field_len(1, value)
    if isinstance(value, (list, tuple)):
        return field_len(5, b"".join(field_len(1, v) for v in value))
    raise TypeError(f"no SessionOptionValue for {value!r}")


def decode_option_value(buf):
    fields = parse(buf)
    if not fields:
        return None
    number, _, v = fields[0]
    if number == 1:
        return v.decode("utf-8")
    if number == 2:
        return bool(v)
    if number == 3:
        return struct.unpack("<q", v)[0]
    if number == 4:
        return struct.unpack("<d", v)[0]
    if number == 5:
        return [s.decode("utf-8") for n, _, s in parse(v) if n == 1]
    raise ValueError(f"unknown SessionOptionValue field {number}")


def _map_entries(buf, field_number):
    """A proto map<string, message> field as {key: value bytes}."""
    out = {}
    for number, _, entry in parse(buf):
        if number != field_number:
            continue
        e = parse(entry)
        out[first(e, 1, b"").decode("utf-8")] = first(e, 2, b"")
    return out


def set_session_options(client, options, values):
    """SetSessionOptions; returns {name: ErrorValue} for the options the server refused."""
    body = b"".join(field_len(1, field_len(1, k) + field_len(2, option_value(v))) for k, v in values.items())
    results = list(client.do_action(flight.Action("SetSessionOptions", body), options))
    assert len(results) == 1, results
    errors = _map_entries(results[0].body.to_pybytes(), 1)
    return {k: first(parse(v), 1, 0) for k, v in errors.items()}


def get_session_options(client, options):
    results = list(client.do_action(flight.Action("GetSessionOptions", b""), options))
    assert len(results) == 1, results
    entries = _map_entries(results[0].body.to_pybytes(), 1)
    return {k: decode_option_value(v) for k, v in entries.items()}


def close_session(client, options):
    """CloseSession; returns CloseSessionResult.status (1 = CLOSED)."""
    results = list(client.do_action(flight.Action("CloseSession", b""), options))
    assert len(results) == 1, results
    return first(parse(results[0].body.to_pybytes()), 1, 0)


INVALID_NAME, INVALID_VALUE = 1, 2
