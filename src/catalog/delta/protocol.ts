// Whether Skein may read a Delta table: its protocol's reader version and reader features, and the
// column mapping mode they switch on. Anything unknown is refused, never read wrongly.
import { UnimplementedError } from '../../errors';
import { MetadataAction, ProtocolAction } from './log';
import { ColumnMappingMode } from './schema';

/**
 * Reader features this reader honours. variantType passes here; a variant column is then refused
 * by the schema. typeWidening: files written before a widening are read and cast to the wider type.
 */
const SUPPORTED = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'vacuumProtocolCheck',
  'typeWidening',
  'typeWidening-preview',
  'variantType',
  'variantType-preview',
]);

/** Throws UnimplementedError naming the table and the first unsupported feature; returns the column mapping mode. */
export function checkProtocol(protocol: ProtocolAction, metadata: MetadataAction, table: string): ColumnMappingMode {
  const reader = Number(protocol.minReaderVersion);
  if (!Number.isInteger(reader) || reader < 1 || reader > 3) {
    throw new UnimplementedError(`Delta table ${table} needs reader version ${protocol.minReaderVersion}; Skein reads versions 1 to 3`);
  }
  const features = reader === 3 ? (protocol.readerFeatures ?? []) : [];
  const unsupported = features.filter((f) => !SUPPORTED.has(f));
  if (unsupported.length > 0) {
    throw new UnimplementedError(`Delta table ${table} uses reader feature${unsupported.length > 1 ? 's' : ''} ${unsupported.join(', ')}, which Skein does not support`);
  }
  const provider = metadata.format?.provider ?? 'parquet';
  if (provider !== 'parquet') throw new UnimplementedError(`Delta table ${table} stores data as ${provider}; Skein reads Parquet only`);
  const mappingOn = reader === 2 || features.includes('columnMapping');
  const mode = mappingOn ? (metadata.configuration?.['delta.columnMapping.mode'] ?? 'none') : 'none';
  if (mode !== 'none' && mode !== 'name' && mode !== 'id') {
    throw new UnimplementedError(`Delta table ${table} uses column mapping mode '${mode}', which Skein does not support`);
  }
  return mode;
}
