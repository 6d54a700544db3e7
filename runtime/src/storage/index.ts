// Stored files behind one interface, so that the same code keeps them in a local folder (one
// machine) or in S3-compatible object storage (several instances behind a load balancer). The
// driver is chosen by the `STORAGE_URL` setting; see `createStorage`.
export type { PutSource, PutOptions, PutResult, ObjectInfo, ByteRange, GetOptions, StoredObject, ListedObject, PresignOptions, Storage } from './types.js'
export { createStorage, STORAGE_SETTINGS, type StorageSettings, type CreateStorageOptions } from './create.js'
export { storedFile, type StoredFileOptions, type DownloadRequest } from './download.js'
export { defineStorage, type StoragePluginOptions } from './plugin.js'
/** Throws 400 unless a key is one both drivers take; for other capabilities that make keys (uploads' prefixes). */
export { checkKey } from './keys.js'
