"""Canonical JSON cells for Arrow data (the form described in test/e2e/README.md).

Used by make_expected.py to write `<name>.json` and by the Python suite to compare values.
Cells are derived from the Arrow value a client receives:

- null -> None; bool -> True/False; any integer -> decimal string ("-12")
- float/double -> float, NaN/Infinity as "NaN", "Infinity", "-Infinity"
- decimal128/256(p, s) -> plain string with exactly s fraction digits ("-0.10")
- string -> str; binary -> lowercase hex
- date -> "YYYY-MM-DD"
- time (s/ms/us) -> "HH:MM:SS.ffffff"; time64[ns] -> 9 fraction digits
- timestamp (s/ms/us) -> "YYYY-MM-DDTHH:MM:SS.ffffff", timestamp[ns] -> 9 fraction digits;
  with a time zone the value is UTC and gets a trailing "Z"
- month_day_nano interval -> {"months": m, "days": d, "nanos": "n"}
- list / fixed-size list -> list; struct -> dict in field order; map -> list of [key, value]
- dictionary -> the decoded value; union -> the value of the active member;
  extension -> the storage value (BIGNUM: hex of DuckDB's bytes; BIT arrives as plain binary)
- duration -> decimal string of the raw count
"""

import datetime
import decimal
import math

import pyarrow as pa
import pyarrow.types as pt

_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_DATE = datetime.date(1970, 1, 1)
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def _float_cell(v):
    if v is None:
        return None
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _decimal_cell(v, scale):
    if v is None:
        return None
    with decimal.localcontext() as ctx:
        ctx.prec = 200
        q = v.quantize(decimal.Decimal(1).scaleb(-scale)) if scale > 0 else v.quantize(decimal.Decimal(1))
        return format(q, "f")


def _split(value, unit):
    """Raw temporal count -> (whole seconds, fraction in the output precision, digits)."""
    per = _PER_SECOND[unit]
    secs, frac = divmod(value, per)
    if unit == "ns":
        return secs, frac, 9
    return secs, frac * (1_000_000 // per), 6


def _time_cell(value, unit):
    if value is None:
        return None
    secs, frac, digits = _split(value, unit)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}.{frac:0{digits}d}"


def _timestamp_cell(value, unit, tz):
    if value is None:
        return None
    secs, frac, digits = _split(value, unit)
    days, day_secs = divmod(secs, 86400)
    d = _EPOCH_DATE + datetime.timedelta(days=days)
    h, rem = divmod(day_secs, 3600)
    m, s = divmod(rem, 60)
    text = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{h:02d}:{m:02d}:{s:02d}.{frac:0{digits}d}"
    return text + "Z" if tz else text


def _date_cell(days):
    if days is None:
        return None
    d = _EPOCH_DATE + datetime.timedelta(days=days)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"


def _ints(arr):
    return arr.cast(pa.int64()).to_pylist() if len(arr) else []


def cells(arr):
    """Canonical cells of a pyarrow Array or ChunkedArray, one per row."""
    if isinstance(arr, pa.ChunkedArray):
        out = []
        for chunk in arr.chunks:
            out.extend(cells(chunk))
        return out
    t = arr.type
    n = len(arr)
    if pt.is_null(t):
        return [None] * n
    if pt.is_boolean(t):
        return arr.to_pylist()
    if pt.is_integer(t):
        return [None if v is None else str(v) for v in arr.to_pylist()]
    if pt.is_floating(t):
        return [_float_cell(v) for v in arr.to_pylist()]
    if pt.is_decimal(t):
        return [_decimal_cell(v, t.scale) for v in arr.to_pylist()]
    if pt.is_string(t) or pt.is_large_string(t) or pt.is_string_view(t):
        return arr.to_pylist()
    if pt.is_binary(t) or pt.is_large_binary(t) or pt.is_fixed_size_binary(t) or pt.is_binary_view(t):
        return [None if v is None else v.hex() for v in arr.to_pylist()]
    if pt.is_date32(t):
        return [_date_cell(v) for v in arr.cast(pa.int32()).to_pylist()]
    if pt.is_date64(t):
        return [None if v is None else _date_cell(v // 86_400_000) for v in _ints(arr)]
    if pt.is_time(t):
        return [_time_cell(v, t.unit) for v in _ints(arr)]
    if pt.is_timestamp(t):
        return [_timestamp_cell(v, t.unit, t.tz) for v in _ints(arr)]
    if pt.is_duration(t):
        return [None if v is None else str(v) for v in _ints(arr)]
    if t.id == pa.month_day_nano_interval().id:
        return [None if v is None else {"months": v.months, "days": v.days, "nanos": str(v.nanoseconds)}
                for v in arr.to_pylist()]
    if pt.is_dictionary(t):
        return cells(arr.dictionary_decode())
    if isinstance(t, pa.BaseExtensionType) or isinstance(arr, pa.ExtensionArray):
        return cells(arr.storage)
    if pt.is_map(t):
        entries = arr.values
        keys = cells(entries.field(0))
        items = cells(entries.field(1))
        offsets = arr.offsets.to_pylist()
        valid = arr.is_valid().to_pylist()
        return [[[keys[j], items[j]] for j in range(offsets[i], offsets[i + 1])] if valid[i] else None
                for i in range(n)]
    if pt.is_list(t) or pt.is_large_list(t):
        child = cells(arr.values)
        offsets = arr.offsets.to_pylist()
        valid = arr.is_valid().to_pylist()
        return [child[offsets[i]:offsets[i + 1]] if valid[i] else None for i in range(n)]
    if pt.is_fixed_size_list(t):
        size = t.list_size
        child = cells(arr.values)
        base = arr.offset
        valid = arr.is_valid().to_pylist()
        return [child[(base + i) * size:(base + i + 1) * size] if valid[i] else None for i in range(n)]
    if pt.is_struct(t):
        names = [t.field(j).name for j in range(t.num_fields)]
        children = [cells(arr.field(j)) for j in range(t.num_fields)]
        valid = arr.is_valid().to_pylist()
        return [{names[j]: children[j][i] for j in range(len(names))} if valid[i] else None for i in range(n)]
    if pt.is_union(t):
        codes = arr.type_codes.to_pylist()
        children = [cells(arr.field(j)) for j in range(t.num_fields)]
        code_to_child = {code: j for j, code in enumerate(t.type_codes)}
        if t.mode == "sparse":
            if arr.offset != 0:
                raise ValueError("sliced sparse unions are not supported")
            return [children[code_to_child[codes[i]]][i] for i in range(n)]
        offsets = arr.offsets.to_pylist()
        return [children[code_to_child[codes[i]]][offsets[i]] for i in range(n)]
    raise TypeError(f"no canonical form for Arrow type {t}")


def rows(table):
    """Canonical rows (lists of cells) of a pyarrow Table."""
    columns = [cells(col) for col in table.columns]
    return [list(r) for r in zip(*columns)] if columns else []
