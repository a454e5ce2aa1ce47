// The local-filesystem object store: the embedded default. Objects are files under absolute paths
// (`/abs/path` or `file:///abs/path`); writes go to a temp file renamed into place, so a reader
// never sees half an object. Conditional puts are atomic against other writers in this process
// (one lock per path) and, for ifNoneMatch, against other processes too (link(2) refuses to replace).
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, Stats } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorRule, ErrorTable, typedError } from '../error-tables';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, PermissionDeniedError, SkeinError, UnavailableError } from '../errors';
import { ByteRange, GetOptions, ObjectInfo, ObjectStore, PutOptions } from './object-store';

/** The absolute local path a `file://` URI or plain path names. */
export function localPath(uri: string): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new InvalidArgumentError(`${uri} is not a local file URI`);
  return resolve(uri);
}

/** An ETag for a local file: changes when it is rewritten (size, mtime, inode). */
export function localEtag(st: Stats): string {
  return createHash('sha1').update(`${st.size}:${st.mtimeMs}:${st.ino}:${st.dev}`).digest('hex').slice(0, 24);
}

function infoOf(path: string, st: Stats): ObjectInfo {
  return { uri: path, size: st.size, etag: localEtag(st), lastModified: st.mtime };
}

const unavailable: ErrorRule = [UnavailableError, (f) => `local store cannot access ${f.what}: ${f.message}`];
const missing: ErrorRule = [NotFoundError, (f) => `object ${f.what} not found`];
const denied: ErrorRule = [PermissionDeniedError, (f) => `access to ${f.what} denied: ${f.message}`];

const FS_ERRORS: ErrorTable = {
  key: 'code',
  byName: {
    ENOENT: missing,
    ENOTDIR: missing,
    EACCES: denied,
    EPERM: denied,
    EISDIR: [InvalidArgumentError, (f) => `${f.what} is a directory, not an object`],
    ENOSPC: unavailable,
    EMFILE: unavailable,
    ENFILE: unavailable,
    EIO: unavailable,
  },
  otherwise: (f) => `local store failed on ${f.what}: ${f.message}`,
};

/** Maps a filesystem error to a typed one naming the object. */
export function fsError(e: unknown, what: string): SkeinError {
  return typedError(e, what, FS_ERRORS);
}

export class LocalStore implements ObjectStore {
  readonly scheme = 'file';
  private readonly locks = new Map<string, Promise<unknown>>();

  async list(prefix: string): Promise<ObjectInfo[]> {
    const full = localPath(prefix) + (prefix.endsWith('/') ? sep : '');
    // walk from the deepest directory the prefix names, keep paths that start with the prefix
    const start = full.endsWith(sep) ? full.slice(0, -1) || sep : dirname(full);
    const out: ObjectInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw fsError(e, dir);
      }
      for (const ent of entries) {
        const p = join(dir, ent.name);
        if (ent.isDirectory()) {
          if ((p + sep).startsWith(full) || full.startsWith(p + sep)) await walk(p);
        } else if (p.startsWith(full) && !ent.name.startsWith('.skein-tmp-')) {
          try {
            const st = await fs.stat(p);
            if (st.isFile()) out.push(infoOf(p, st));
          } catch (e) {
            // a file removed between readdir and stat is simply not listed
            if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(e, p);
          }
        }
      }
    };
    await walk(start);
    return out.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  }

  async head(uri: string): Promise<ObjectInfo | null> {
    const path = localPath(uri);
    try {
      const st = await fs.stat(path);
      if (!st.isFile()) return null;
      return infoOf(path, st);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw fsError(e, path);
    }
  }

  async get(uri: string, range?: ByteRange, opts: GetOptions = {}): Promise<Buffer> {
    const path = localPath(uri);
    try {
      if (!range && opts.ifMatch === undefined) return await fs.readFile(path);
      const fh = await fs.open(path, 'r');
      try {
        const st = await fh.stat();
        if (opts.ifMatch !== undefined && localEtag(st) !== opts.ifMatch) {
          throw new FailedPreconditionError(`object ${path} changed (etag ${localEtag(st)}, expected ${opts.ifMatch})`);
        }
        const size = st.size;
        range ??= { start: 0 };
        const start = Math.min(range.start, size);
        const end = Math.min(range.end ?? size, size);
        const buf = Buffer.alloc(Math.max(0, end - start));
        let done = 0;
        while (done < buf.length) {
          const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return buf.subarray(0, done);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw fsError(e, path);
    }
  }

  async put(uri: string, body: Buffer | string, opts: PutOptions = {}): Promise<ObjectInfo> {
    const path = localPath(uri);
    return this.locked(path, async () => {
      const tmp = await this.writeTemp(path, async (fh) => {
        await fh.writeFile(body);
      });
      return this.commit(path, tmp, opts);
    });
  }

  async putStream(uri: string, parts: AsyncIterable<Buffer>): Promise<ObjectInfo> {
    const path = localPath(uri);
    const tmp = await this.writeTemp(path, async (fh) => {
      for await (const part of parts) await fh.write(part);
    });
    return this.locked(path, () => this.commit(path, tmp, {}));
  }

  async delete(uri: string): Promise<void> {
    const path = localPath(uri);
    try {
      await fs.unlink(path);
    } catch (e) {
      // deleting what is not there succeeds, as on S3
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(e, path);
    }
  }

  async close(): Promise<void> {}

  /** Writes a sibling temp file (same filesystem, so rename is atomic); removes it on failure. */
  private async writeTemp(path: string, write: (fh: fs.FileHandle) => Promise<void>): Promise<string> {
    const tmp = join(dirname(path), `.skein-tmp-${randomBytes(6).toString('hex')}`);
    try {
      await fs.mkdir(dirname(path), { recursive: true });
      const fh = await fs.open(tmp, 'wx');
      try {
        await write(fh);
      } finally {
        await fh.close();
      }
      return tmp;
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw fsError(e, path);
    }
  }

  private async commit(path: string, tmp: string, opts: PutOptions): Promise<ObjectInfo> {
    try {
      if (opts.ifMatch !== undefined) {
        const cur = await this.head(path);
        if (!cur || cur.etag !== opts.ifMatch) {
          throw new FailedPreconditionError(
            `object ${path} ${cur ? `changed (etag ${cur.etag}, expected ${opts.ifMatch})` : 'does not exist'}`,
          );
        }
      }
      if (opts.ifNoneMatch) {
        try {
          await fs.link(tmp, path);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new FailedPreconditionError(`object ${path} already exists`, { cause: e });
          }
          throw e;
        }
        await fs.unlink(tmp);
      } else {
        await fs.rename(tmp, path);
      }
      return infoOf(path, await fs.stat(path));
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw fsError(e, path);
    }
  }

  /** Serialises writers of one path in this process (the check-then-rename of ifMatch needs it). */
  private async locked<T>(path: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(path) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(path, tail);
    try {
      return await next;
    } finally {
      if (this.locks.get(path) === tail) this.locks.delete(path);
    }
  }
}
