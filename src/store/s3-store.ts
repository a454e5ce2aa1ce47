// The S3 object store (AWS S3 or any S3-compatible server) on @aws-sdk/client-s3. URIs are
// `s3://bucket/key`. Every S3 failure leaves as a typed Skein error naming the bucket/key and the
// cause, so a missing bucket or a denied request is never mistaken for "no files".
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ByteRange, GetOptions, ObjectInfo, ObjectStore, PutOptions } from './object-store';
import { s3Error } from './s3-errors';
import { InvalidArgumentError, NotFoundError } from '../errors';

export interface S3StoreConfig {
  /** Custom endpoint for S3-compatible servers (moto, MinIO, …); AWS's own when absent. */
  endpoint?: string;
  region: string;
  /** Static credentials; the SDK's default chain (env, profile, instance role) when absent. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (most S3-compatible servers). */
  forcePathStyle: boolean;
}

/** S3 wants parts of at least 5 MiB (all but the last). */
const PART_BYTES = 8 << 20;

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new InvalidArgumentError(`${uri} is not an s3://bucket/key URI`);
  return { bucket: m[1], key: m[2] };
}

export class S3Store implements ObjectStore {
  readonly scheme = 's3';
  private readonly client: S3Client;
  /** Buckets seen to exist: a 404 on HEAD of a key there means "no such key", not "no bucket". */
  private readonly knownBuckets = new Set<string>();

  constructor(config: S3StoreConfig) {
    const credentials =
      config.accessKeyId && config.secretAccessKey
        ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey, sessionToken: config.sessionToken }
        : undefined;
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials,
      // only the checksums S3 requires: many S3-compatible servers reject the newer default ones
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const { bucket, key } = parseS3Uri(prefix);
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const r = await this.call(prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token })),
      );
      for (const o of r.Contents ?? []) {
        if (o.Key === undefined) continue;
        out.push({
          uri: `s3://${bucket}/${o.Key}`,
          size: o.Size ?? 0,
          etag: o.ETag ?? '',
          lastModified: o.LastModified ?? new Date(0),
        });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    this.knownBuckets.add(bucket);
    return out.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  }

  async head(uri: string): Promise<ObjectInfo | null> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      this.knownBuckets.add(bucket);
      return { uri, size: r.ContentLength ?? 0, etag: r.ETag ?? '', lastModified: r.LastModified ?? new Date(0) };
    } catch (e) {
      const err = s3Error(e, uri);
      if (!(err instanceof NotFoundError)) throw err;
      // HEAD answers carry no error body: ask once whether the bucket itself is missing
      await this.checkBucket(bucket, uri);
      return null;
    }
  }

  async get(uri: string, range?: ByteRange, opts: GetOptions = {}): Promise<Buffer> {
    const { bucket, key } = parseS3Uri(uri);
    if (range && range.end !== undefined && range.end <= range.start) return Buffer.alloc(0);
    const Range = range ? `bytes=${range.start}-${range.end !== undefined ? range.end - 1 : ''}` : undefined;
    return this.call(uri, async () => {
      try {
        const r = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range, IfMatch: opts.ifMatch }));
        const bytes = await r.Body!.transformToByteArray();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (e) {
        // a range starting at or past the end is empty, as for a local file
        if ((e as { name?: string }).name === 'InvalidRange') return Buffer.alloc(0);
        throw e;
      }
    });
  }

  async put(uri: string, body: Buffer | string, opts: PutOptions = {}): Promise<ObjectInfo> {
    const { bucket, key } = parseS3Uri(uri);
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const r = await this.call(uri, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: buf,
          ContentLength: buf.length,
          ContentType: opts.contentType,
          IfNoneMatch: opts.ifNoneMatch ? '*' : undefined,
          IfMatch: opts.ifMatch,
        }),
      ),
    );
    return { uri, size: buf.length, etag: r.ETag ?? '', lastModified: new Date() };
  }

  async putStream(uri: string, parts: AsyncIterable<Buffer>, opts: Pick<PutOptions, 'contentType'> = {}): Promise<ObjectInfo> {
    const { bucket, key } = parseS3Uri(uri);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let uploadId: string | undefined;
    const done: { ETag: string; PartNumber: number }[] = [];
    let size = 0;
    const flush = async (): Promise<void> => {
      const body = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      if (uploadId === undefined) {
        const c = await this.call(uri, () =>
          this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: opts.contentType })),
        );
        uploadId = c.UploadId;
      }
      const PartNumber = done.length + 1;
      const p = await this.call(uri, () =>
        this.client.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.length }),
        ),
      );
      done.push({ ETag: p.ETag ?? '', PartNumber });
    };
    try {
      for await (const chunk of parts) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        size += chunk.length;
        if (pendingBytes >= PART_BYTES) await flush();
      }
      // small objects: one plain PUT, no multipart bookkeeping
      if (uploadId === undefined) return await this.put(uri, Buffer.concat(pending), opts);
      if (pendingBytes > 0) await flush();
      const r = await this.call(uri, () =>
        this.client.send(
          new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: done } }),
        ),
      );
      return { uri, size, etag: r.ETag ?? '', lastModified: new Date() };
    } catch (e) {
      if (uploadId !== undefined) {
        // leave no orphaned parts behind; the original failure is the one to report
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      }
      throw s3Error(e, uri);
    }
  }

  async delete(uri: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await this.call(uri, () => this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async checkBucket(bucket: string, uri: string): Promise<void> {
    if (this.knownBuckets.has(bucket)) return;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
      this.knownBuckets.add(bucket);
    } catch (e) {
      const err = s3Error(e, uri);
      if (err instanceof NotFoundError) throw new NotFoundError(`bucket ${bucket} not found (reading ${uri})`, { cause: e });
      throw err;
    }
  }

  private async call<T>(uri: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw s3Error(e, uri);
    }
  }
}
