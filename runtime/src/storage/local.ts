// The local driver: objects are files under one folder, each written under a temp name and
// renamed into place (a reader never sees half a file), with a small hidden metadata file
// beside it for its content type and SHA-256 (the ETag). Keys are checked before they become
// paths (see keys.ts), so no key reaches outside the folder.
import { randomBytes } from 'node:crypto'
import { createWriteStream, type Stats } from 'node:fs'
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { NotFound } from '../core/errors.js'
import { changed, fileExists } from './errors.js'
import type { GetOptions, ListedObject, ObjectInfo, PutOptions, PutResult, PutSource, Storage, StoredObject } from './types.js'
import { checkKey, checkPrefix } from './keys.js'
import { meteredStream } from './meter.js'

interface Metadata {
  contentType: string
  sha256: string
  size: number
  // the data file's mtime when written: metadata that does not match its file (replaced by
  // hand, or read between the two renames of a put) is ignored rather than believed
  mtimeMs: number
}

// for files that came without metadata (put there by hand, or saved before this driver)
const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.pdf': 'application/pdf', '.txt': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8', '.json': 'application/json', '.xml': 'application/xml', '.zip': 'application/zip' }

/** Objects as files under `root` (an absolute folder, created on first put). */
export class LocalStorage implements Storage {
  readonly driver = 'local'

  constructor(readonly root: string) {}

  get location(): string {
    return this.root
  }

  async put(key: string, source: PutSource, options: PutOptions = {}): Promise<PutResult> {
    const path = this.#path(key)
    const dir = dirname(path)
    await mkdir(dir, { recursive: true })
    // an early refusal spares reading the body; the link below is the check that holds
    if (options.overwrite === false && (await exists(path))) throw fileExists(key)
    const temp = join(dir, `.tmp-${randomBytes(12).toString('hex')}`)
    const tempMeta = `${temp}.meta`
    const { stream, meter } = meteredStream(source, { maxBytes: options.maxBytes, signal: options.signal, sha256: options.sha256 || undefined })
    try {
      await pipeline(stream, createWriteStream(temp, { flags: 'wx', mode: 0o600 }))
      const written = await stat(temp)
      const meta: Metadata = { contentType: options.contentType ?? 'application/octet-stream', sha256: meter.sha256, size: meter.size, mtimeMs: written.mtimeMs }
      await writeFile(tempMeta, JSON.stringify(meta), { flag: 'wx', mode: 0o600 })
      if (options.overwrite === false) {
        // link refuses to replace what is there; rename would replace it silently
        try {
          await link(temp, path)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw fileExists(key)
          throw error
        }
        await unlink(temp)
      } else {
        await rename(temp, path)
      }
      await rename(tempMeta, metaPath(path))
      return { key, size: meter.size, sha256: meter.sha256, etag: `"${meter.sha256}"` }
    } catch (error) {
      await Promise.all([rm(temp, { force: true }), rm(tempMeta, { force: true })])
      throw error
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<StoredObject> {
    const path = this.#path(key)
    let handle
    try {
      handle = await open(path, 'r')
    } catch (error) {
      throw missing(error)
    }
    try {
      const info = await handle.stat()
      if (!info.isFile()) throw new NotFound('File not found')
      const object = await describe(key, path, info)
      if (options.ifMatch !== undefined && options.ifMatch !== object.etag) throw changed()
      const range = options.range
      // the stream owns the handle from here (autoClose)
      const body = handle.createReadStream({ start: range?.start ?? 0, end: range?.end ?? Infinity, highWaterMark: 1 << 20 })
      return { ...object, body, range }
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const path = this.#path(key)
    let info
    try {
      info = await stat(path)
    } catch (error) {
      if (missing(error) instanceof NotFound) return undefined
      throw error
    }
    return info.isFile() ? describe(key, path, info) : undefined
  }

  async delete(key: string): Promise<void> {
    const path = this.#path(key)
    await rm(path, { force: true })
    await rm(metaPath(path), { force: true })
  }

  async *list(prefix = ''): AsyncIterable<ListedObject> {
    checkPrefix(prefix)
    const slash = prefix.lastIndexOf('/')
    const base = prefix.slice(0, slash + 1)
    // S3 lists in byte order of the whole key ("a-b" before "a/b"), which a walk of sorted
    // folders does not give: collect the keys under the prefix's folder, then sort
    const found: { key: string; path: string; info: Stats }[] = []
    for await (const path of walk(join(this.root, ...base.split('/').filter(Boolean)))) {
      const key = path.slice(this.root.length + 1).split(sep).join('/')
      if (!key.startsWith(prefix)) continue
      try {
        const info = await stat(path)
        if (info.isFile()) found.push({ key, path, info })
      } catch {
        // deleted while listing
      }
    }
    found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
    for (const { key, path, info } of found) {
      const object = await describe(key, path, info)
      yield { key, size: object.size, etag: object.etag, lastModified: object.lastModified }
    }
  }

  async presignGet(): Promise<undefined> {
    return undefined
  }

  close(): void {}

  #path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'))
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return // no such folder: nothing under this prefix
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue // temp and metadata files
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* walk(path)
    else if (entry.isFile()) yield path
  }
}

function metaPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.meta`)
}

async function describe(key: string, path: string, info: Stats): Promise<ObjectInfo> {
  const meta = await readFile(metaPath(path), 'utf8')
    .then((text) => JSON.parse(text) as Metadata)
    .catch(() => undefined)
  if (meta && meta.size === info.size && meta.mtimeMs === info.mtimeMs && /^[0-9a-f]{64}$/.test(meta.sha256)) {
    return { key, size: info.size, etag: `"${meta.sha256}"`, contentType: meta.contentType, lastModified: info.mtime }
  }
  // as nginx makes it: strong for a file that is not rewritten in place
  const etag = `"${Math.floor(info.mtimeMs).toString(16)}-${info.size.toString(16)}"`
  return { key, size: info.size, etag, contentType: TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream', lastModified: info.mtime }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

function missing(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' ? new NotFound('File not found') : error
}
