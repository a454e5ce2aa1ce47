// Binds one row of an Arrow record batch (the parameters a client sent through DoPut) to a DuckDB
// prepared statement, positionally: clients name parameter columns freely ("0", "1", …).
import * as A from 'apache-arrow';
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBPreparedStatement,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
} from '@duckdb/node-api';
import { InvalidArgumentError } from '../errors';

const MS_PER_DAY = 86_400_000;

function raw(data: A.Data, row: number): number | bigint {
  return (data.values as ArrayLike<number | bigint>)[data.offset + row];
}

function toMicros(v: bigint, unit: A.TimeUnit): bigint {
  if (unit === A.TimeUnit.SECOND) return v * 1_000_000n;
  if (unit === A.TimeUnit.MILLISECOND) return v * 1000n;
  if (unit === A.TimeUnit.MICROSECOND) return v;
  return v / 1000n;
}

function decimalAt(data: A.Data<A.Decimal>, row: number): bigint {
  const words = data.values as Uint32Array;
  const at = (data.offset + row) * 4;
  let v = 0n;
  for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[at + w]);
  return BigInt.asIntN(128, v);
}

/** Binds parameter `index` (1-based) from row `row` of column `vector`. */
export function bindArrowValue(
  stmt: DuckDBPreparedStatement,
  index: number,
  vector: A.Vector,
  row: number,
): void {
  if (!vector.isValid(row)) {
    stmt.bindNull(index);
    return;
  }
  const data = vector.data[0];
  const t = vector.type as A.DataType;
  switch (t.typeId) {
    case A.Type.Null:
      stmt.bindNull(index);
      return;
    case A.Type.Bool:
      stmt.bindBoolean(index, vector.get(row) as boolean);
      return;
    case A.Type.Int: {
      const it = t as A.Int;
      const v = raw(data, row);
      if (it.bitWidth === 64) {
        if (it.isSigned) stmt.bindBigInt(index, BigInt(v));
        else stmt.bindUBigInt(index, BigInt(v));
      } else if (it.isSigned) stmt.bindInteger(index, Number(v));
      else stmt.bindUInteger(index, Number(v));
      return;
    }
    case A.Type.Float: {
      const ft = t as A.Float;
      if (ft.precision === A.Precision.SINGLE) stmt.bindFloat(index, Number(vector.get(row)));
      else stmt.bindDouble(index, Number(vector.get(row)));
      return;
    }
    case A.Type.Utf8:
    case A.Type.LargeUtf8:
      stmt.bindVarchar(index, String(vector.get(row)));
      return;
    case A.Type.Binary:
    case A.Type.LargeBinary:
    case A.Type.FixedSizeBinary:
      stmt.bindBlob(index, vector.get(row) as Uint8Array);
      return;
    case A.Type.Decimal: {
      const dt = t as A.Decimal;
      if (dt.bitWidth !== 128) break;
      const v = decimalAt(data as A.Data<A.Decimal>, row);
      stmt.bindDecimal(index, new DuckDBDecimalValue(v, Math.max(1, dt.precision), dt.scale));
      return;
    }
    case A.Type.Date: {
      const dt = t as A.Date_;
      const v = Number(raw(data, row));
      const days = dt.unit === A.DateUnit.DAY ? v : Math.floor(v / MS_PER_DAY);
      stmt.bindDate(index, new DuckDBDateValue(days));
      return;
    }
    case A.Type.Time: {
      const tt = t as A.Time;
      stmt.bindTime(index, new DuckDBTimeValue(toMicros(BigInt(raw(data, row)), tt.unit)));
      return;
    }
    case A.Type.Timestamp: {
      const ts = t as A.Timestamp;
      const v = BigInt(raw(data, row));
      if (ts.timezone) {
        stmt.bindTimestampTZ(index, new DuckDBTimestampTZValue(toMicros(v, ts.unit)));
      } else if (ts.unit === A.TimeUnit.SECOND) {
        stmt.bindTimestampSeconds(index, new DuckDBTimestampSecondsValue(v));
      } else if (ts.unit === A.TimeUnit.MILLISECOND) {
        stmt.bindTimestampMilliseconds(index, new DuckDBTimestampMillisecondsValue(v));
      } else if (ts.unit === A.TimeUnit.MICROSECOND) {
        stmt.bindTimestamp(index, new DuckDBTimestampValue(v));
      } else {
        stmt.bindTimestampNanoseconds(index, new DuckDBTimestampNanosecondsValue(v));
      }
      return;
    }
    case A.Type.Interval: {
      const it = t as A.Interval;
      const words = data.values as Int32Array;
      if (it.unit === A.IntervalUnit.MONTH_DAY_NANO) {
        const at = (data.offset + row) * 4;
        const view = new DataView(words.buffer, words.byteOffset + at * 4, 16);
        const nanos = view.getBigInt64(8, true);
        stmt.bindInterval(index, new DuckDBIntervalValue(words[at], words[at + 1], nanos / 1000n));
        return;
      }
      if (it.unit === A.IntervalUnit.YEAR_MONTH) {
        stmt.bindInterval(index, new DuckDBIntervalValue(words[data.offset + row], 0, 0n));
        return;
      }
      const at = (data.offset + row) * 2;
      stmt.bindInterval(index, new DuckDBIntervalValue(0, words[at], BigInt(words[at + 1]) * 1000n));
      return;
    }
    default:
      break;
  }
  throw new InvalidArgumentError(`parameter ${index}: Arrow type ${String(t)} is not supported as a parameter`);
}

/** Binds row `row` of `params` to every parameter of `stmt`. */
export function bindRow(stmt: DuckDBPreparedStatement, params: A.RecordBatch, row: number): void {
  const expected = stmt.parameterCount;
  if (params.numCols !== expected) {
    throw new InvalidArgumentError(
      `statement has ${expected} parameter(s) but ${params.numCols} value column(s) were bound`,
    );
  }
  stmt.clearBindings();
  for (let c = 0; c < expected; c++) {
    const col = params.getChildAt(c);
    if (!col) throw new InvalidArgumentError(`missing parameter column ${c}`);
    bindArrowValue(stmt, c + 1, col, row);
  }
}
