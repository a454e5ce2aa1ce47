// Avro object container files (Iceberg manifest lists and manifests) decoded with avsc. Longs are
// decoded as bigint: snapshot ids use all 64 bits, and a JS number would silently round them.
import { Readable } from 'node:stream';
import type * as Avsc from 'avsc';

/** avsc, loaded the first time an Iceberg table is read (not at start). */
let avsc: typeof Avsc | null = null;
let bigLong: Avsc.Type | null = null;

/** avsc, and its long type carried as bigint. */
function avroModule(): { avro: typeof Avsc; BIG_LONG: Avsc.Type } {
  avsc ??= require('avsc') as typeof Avsc;
  bigLong ??= longAsBigint(avsc);
  return { avro: avsc, BIG_LONG: bigLong };
}

function longAsBigint(avro: typeof Avsc): Avsc.Type {
  return avro.types.LongType.__with({
    fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
    toBuffer: (n: bigint) => {
      const buf = Buffer.alloc(8);
      buf.writeBigInt64LE(n);
      return buf;
    },
    fromJSON: (v: unknown) => BigInt(v as string | number),
    toJSON: (n: bigint) => Number(n),
    isValid: (n: unknown) => typeof n === 'bigint',
    compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
  });
}

export interface AvroFile {
  /** The file's key/value metadata (Iceberg puts the schema, partition spec and content here). */
  meta: Record<string, string>;
  /** The writer's schema as JSON. */
  schema: unknown;
  records: Record<string, unknown>[];
}

/** Decodes a whole container file; any damage (magic, sync marker, codec, truncation) rejects. */
export function readAvro(bytes: Buffer): Promise<AvroFile> {
  const { avro, BIG_LONG } = avroModule();
  return new Promise((resolve, reject) => {
    let meta: Record<string, string> = {};
    let sync: Buffer | null = null;
    let schema: unknown = null;
    const records: Record<string, unknown>[] = [];
    const decoder = new avro.streams.BlockDecoder({
      parseHook: (s: Avsc.Schema) => {
        schema = s;
        return avro.Type.forSchema(s, { registry: { long: BIG_LONG } });
      },
    });
    decoder.on('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer>; sync: Buffer }) => {
      meta = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString('utf8')]));
      sync = header.sync;
    });
    decoder.on('data', (r: Record<string, unknown>) => records.push(r));
    decoder.on('error', reject);
    decoder.on('end', () => {
      if (schema === null || sync === null) reject(new Error('not an Avro object container file (no header)'));
      // every block ends with the sync marker: a file cut short does not (avsc just stops reading)
      else if (!bytes.subarray(bytes.length - 16).equals(sync)) reject(new Error('the file is truncated (it does not end with a sync marker)'));
      else resolve({ meta, schema, records });
    });
    Readable.from([bytes]).pipe(decoder);
  });
}
