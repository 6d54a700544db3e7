// Where the attachments' files are stored, in a module of its own: the submissions' logic and the
// job that deletes files both use it, and the job must not import the logic (the projects' logic
// sends the job, and the submissions' logic reaches the projects' through the tasks').
import { resolve } from 'node:path'
import { createStorage, defineStorage, type Storage } from 'trefoil'
import { settings } from '../config.js'

/** Where attachments are kept, under generated names. */
export const UPLOADS_DIR = resolve(settings.DATA_DIR, 'uploads')

/**
 * Where attachments are stored: the uploads folder, or the object storage STORAGE_URL names.
 * Keys are the generated stored names, so files kept before the storage setting still download.
 */
export const attachmentStorage: Storage = createStorage(settings, { defaultDir: UPLOADS_DIR })

/** The attachments' storage as a plugin: the app's close releases its connections (after the jobs that use it). */
export const storagePlugin = defineStorage(attachmentStorage)
