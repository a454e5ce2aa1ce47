// Picks the object store for a URI: plain paths and file:// → the local filesystem, s3:// → S3 with
// the configured endpoint/region/credentials. Catalogs (directory, Iceberg, Delta, Glue) and executors
// read through one `Stores` object made from config.store.
import { InvalidArgumentError } from '../errors';
import { LocalStore } from './local-store';
import { ObjectStore, isLocalUri } from './object-store';
import { ReadThrottle, throttledStore } from './read-throttle';
import { STORE_DEFAULTS, StoreConfig } from './store-config';

export interface Stores {
  /** The store that serves this URI; INVALID_ARGUMENT for a scheme Skein has no store for. */
  forUri(uri: string): ObjectStore;
  /** The whole object (NotFoundError naming it when it does not exist). */
  readObject(uri: string): Promise<Buffer>;
  readonly config: StoreConfig;
  close(): Promise<void>;
}

/** `s3://bucket/a/b` → `s3://bucket/a/b/`; `file:///x` and paths unchanged but for the slash. */
export function asPrefix(uri: string): string {
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** Joins a relative key onto a directory URI (`s3://b/t` + `x/y.parquet`). */
export function joinUri(base: string, rel: string): string {
  return `${base.replace(/\/+$/, '')}/${rel.replace(/^\/+/, '')}`;
}

/** The S3 store and the AWS SDK under it, loaded the first time an s3:// object is asked for. */
const s3Module = (): typeof import('./s3-store') => require('./s3-store');

export function uriScheme(uri: string): string {
  if (isLocalUri(uri)) return 'file';
  return uri.slice(0, uri.indexOf(':')).toLowerCase();
}

export function openStores(config: StoreConfig = STORE_DEFAULTS): Stores {
  // one rate for every store of this object (store.readBytesPerSecond), when one is configured
  const throttle = config.readBytesPerSecond ? new ReadThrottle(config.readBytesPerSecond) : null;
  const paced = (store: ObjectStore): ObjectStore => (throttle ? throttledStore(store, throttle) : store);
  const local = paced(new LocalStore());
  let s3: ObjectStore | undefined;
  const forUri = (uri: string): ObjectStore => {
    const scheme = uriScheme(uri);
    if (scheme === 'file') return local;
    if (scheme === 's3') {
      s3 ??= paced(new (s3Module().S3Store)(config.s3));
      return s3;
    }
    throw new InvalidArgumentError(`no object store for ${uri}: Skein reads local paths, file:// and s3:// URIs`);
  };
  return {
    config,
    forUri,
    readObject: (uri) => forUri(uri).get(uri),
    close: async () => {
      await local.close();
      await s3?.close();
    },
  };
}
