// The object-store interface every part of Skein reads and writes lake files through: catalogs
// (directory listings, Iceberg metadata, Delta logs), executors (data files, via the partition
// cache) and result spills. Objects are named by URI: `s3://bucket/key` for S3 and S3-compatible
// servers, `file:///abs/path` or a plain absolute path for the local filesystem.

export interface ObjectInfo {
  /** The object's URI as the store names it (`s3://bucket/key`, or an absolute local path). */
  uri: string;
  size: number;
  /** Changes whenever the content changes (S3 ETag; local: size + mtime + inode). */
  etag: string;
  lastModified: Date;
}

/** Bytes [start, end) of an object; end defaults to the object's size. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface GetOptions {
  /** Read only if the object's ETag is still this one; else FailedPreconditionError (no torn copies). */
  ifMatch?: string;
}

export interface PutOptions {
  /** Write only if no object exists under this URI (S3 `If-None-Match: *`); else FailedPreconditionError. */
  ifNoneMatch?: boolean;
  /** Write only if the object's current ETag is this one (compare-and-swap); else FailedPreconditionError. */
  ifMatch?: string;
  contentType?: string;
}

export interface ObjectStore {
  /** The URI scheme it serves: 'file' or 's3'. */
  readonly scheme: string;
  /** Every object whose URI starts with `prefix` (a "directory" prefix should end with '/'), sorted by URI. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The object's facts, or null when it does not exist. */
  head(uri: string): Promise<ObjectInfo | null>;
  /** The object's bytes (or a range of them); NotFoundError when it does not exist. */
  get(uri: string, range?: ByteRange, opts?: GetOptions): Promise<Buffer>;
  put(uri: string, body: Buffer | string, opts?: PutOptions): Promise<ObjectInfo>;
  /** Streams a large object in parts (S3 multipart upload); all or nothing. */
  putStream(uri: string, parts: AsyncIterable<Buffer>, opts?: Pick<PutOptions, 'contentType'>): Promise<ObjectInfo>;
  delete(uri: string): Promise<void>;
  close(): Promise<void>;
}

/** True for URIs a local path names (no scheme, or file://). */
export function isLocalUri(uri: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) || uri.startsWith('file://');
}
