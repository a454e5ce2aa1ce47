// Which reader serves each table format. A format without one yet is refused as UNIMPLEMENTED.
import { deltaReader } from './delta/reader';
import { icebergReader } from './iceberg/reader';
import { TableFormatName, TableFormatReader } from './table-formats';

export const FORMAT_READERS: Record<TableFormatName, TableFormatReader | null> = {
  iceberg: icebergReader,
  delta: deltaReader,
};
