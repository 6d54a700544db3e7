// A storage tied to the app's life: its connections (the S3 client's kept-alive sockets) are
// released when the app closes, so a closing instance leaves nothing open behind it.
import { definePlugin, type Plugin } from '../core/plugin.js'
import type { Storage } from './types.js'

/** Options of {@link defineStorage}. */
export interface StoragePluginOptions {
  /** The plugin's name, unique in the app (default `storage`): one per storage when there are several. */
  name?: string
}

/**
 * The storage as a plugin: `app.plugin(p)` is the storage, and `app.close()` closes it after the
 * plugins listed after it (a job still deleting files finishes before the client goes). List it
 * before the plugins and units that use the storage.
 * @example
 * export const photos = createStorage(settings, { defaultDir: join(settings.DATA_DIR, 'uploads') })
 * export const app = createApp({ plugins: [databasePlugin, defineStorage(photos), jobsPlugin, submissions] })
 */
export function defineStorage(storage: Storage, options: StoragePluginOptions = {}): Plugin<Storage> {
  return definePlugin<Storage>({
    name: options.name ?? 'storage',
    setup: () => ({ value: storage, close: () => storage.close() }),
  })
}
