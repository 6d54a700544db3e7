// Choosing the driver from settings: `STORAGE_URL` names the place (a folder by default, or
// `s3://bucket/prefix`), and the `S3_*` settings say how to reach an S3 server.
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Type as t, type Static } from 'typebox'
import { TrefoilError } from '../core/trefoil-error.js'
import type { Storage } from './types.js'
import { LocalStorage } from './local.js'
import { S3Storage } from './s3.js'

/**
 * The storage settings, to spread into an app's settings schema.
 * @example export const settings = defineSettings(t.Object({ ...STORAGE_SETTINGS, PORT: t.Integer({ default: 8000 }) }))
 */
export const STORAGE_SETTINGS = {
  /** A folder (`./data/files`, `file:///srv/files`) or `s3://bucket/prefix`; default: the app's local folder. */
  STORAGE_URL: t.Optional(t.String()),
  /** An S3-compatible server's URL (`http://127.0.0.1:9000`); default: AWS. */
  S3_ENDPOINT: t.Optional(t.String()),
  /** Default `us-east-1`. */
  S3_REGION: t.Optional(t.String()),
  /** With S3_SECRET_ACCESS_KEY; without both, the SDK's usual chain (AWS_* variables, profile, role). */
  S3_ACCESS_KEY_ID: t.Optional(t.String()),
  S3_SECRET_ACCESS_KEY: t.Optional(t.String()),
  /** Bucket in the path, not the host name: default true with S3_ENDPOINT, false on AWS. */
  S3_FORCE_PATH_STYLE: t.Optional(t.Boolean()),
}

/** The settings {@link createStorage} reads (every one optional). */
export type StorageSettings = Readonly<Partial<Static<ReturnType<typeof storageSettingsSchema>>>>

function storageSettingsSchema() {
  return t.Object(STORAGE_SETTINGS)
}

/** Options of {@link createStorage}. */
export interface CreateStorageOptions {
  /** The folder used when `STORAGE_URL` is not set (default `./storage` in the working folder). */
  defaultDir?: string
  /** S3 part size in bytes (default 5 MiB, S3's minimum): memory per upload is partSize × (queueSize + 1). */
  partSize?: number
  /** S3 parts sent at once per upload (default 4). */
  queueSize?: number
}

const MIN_PART = 5 * 1024 * 1024

/**
 * The storage the settings name: a local folder, or an S3 bucket. Throws at start-up, naming
 * the setting, when they do not make sense.
 * @example
 * const storage = createStorage(settings, { defaultDir: join(settings.DATA_DIR, 'uploads') })
 * const saved = await storage.put(`attachments/${file.storedName}`, file.stream(), { contentType: file.mediaType })
 */
export function createStorage(settings: StorageSettings = {}, options: CreateStorageOptions = {}): Storage {
  const url = settings.STORAGE_URL?.trim() ?? ''
  if (url === '') return new LocalStorage(resolve(options.defaultDir ?? 'storage'))
  if (url.startsWith('s3://')) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new TrefoilError('TREFOIL_SETTINGS_INVALID', `Invalid STORAGE_URL "${url}": expected s3://bucket/prefix`)
    }
    if (parsed.hostname === '' || parsed.username !== '' || parsed.password !== '' || parsed.search !== '') throw new TrefoilError('TREFOIL_SETTINGS_INVALID', `Invalid STORAGE_URL "${url}": expected s3://bucket/prefix, with credentials in S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY`)
    const path = decodeURIComponent(parsed.pathname).replace(/^\/+/, '')
    const prefix = path === '' || path.endsWith('/') ? path : `${path}/`
    const hasId = settings.S3_ACCESS_KEY_ID !== undefined && settings.S3_ACCESS_KEY_ID !== ''
    const hasSecret = settings.S3_SECRET_ACCESS_KEY !== undefined && settings.S3_SECRET_ACCESS_KEY !== ''
    if (hasId !== hasSecret) throw new TrefoilError('TREFOIL_SETTINGS_INVALID', 'Invalid S3 settings: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together')
    const partSize = options.partSize ?? MIN_PART
    if (partSize < MIN_PART) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Invalid createStorage() partSize ${partSize}: S3 parts are at least ${MIN_PART} bytes`)
    const queueSize = options.queueSize ?? 4
    if (!Number.isInteger(queueSize) || queueSize < 1) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `Invalid queueSize ${String(queueSize)}: give a whole number of parts of at least 1`)
    const endpoint = settings.S3_ENDPOINT?.trim() || undefined
    return new S3Storage({
      bucket: parsed.hostname,
      prefix,
      endpoint,
      region: settings.S3_REGION?.trim() || 'us-east-1',
      credentials: hasId ? { accessKeyId: settings.S3_ACCESS_KEY_ID!, secretAccessKey: settings.S3_SECRET_ACCESS_KEY! } : undefined,
      forcePathStyle: settings.S3_FORCE_PATH_STYLE ?? endpoint !== undefined,
      partSize,
      queueSize,
    })
  }
  if (url.startsWith('file://')) return new LocalStorage(fileURLToPath(url))
  if (url.startsWith('file:')) return new LocalStorage(resolve(url.slice('file:'.length)))
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new TrefoilError('TREFOIL_SETTINGS_INVALID', `Invalid STORAGE_URL "${url}": use a folder, file:///path or s3://bucket/prefix`)
  return new LocalStorage(isAbsolute(url) ? url : resolve(url))
}
