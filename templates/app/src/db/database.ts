// The service's database: the plugin listed first in main.ts, and the `database` / `transaction`
// dependencies units ask for. Migrations in ./migrations are applied at start-up, in name order.
import { defineDatabase } from 'trefoil'
import { settings } from '../config.js'

/**
 * `databasePlugin` goes in the app's plugins; `database` runs each query on the pool;
 * `transaction` gives a request one transaction, committed when the handler succeeds.
 */
export const {
  plugin: databasePlugin,
  db: database,
  transaction,
} = defineDatabase({
  migrations: new URL('./migrations', import.meta.url),
  dataDir: settings.EMBEDDED_DB_DIR,
})
