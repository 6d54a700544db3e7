// `npm run demo:reset`: new passwords for the demo accounts (made again if deleted), printed as a
// block. Stop the app first when it runs on the embedded database: both would use its data folder.
import { databasePlugin } from '../src/db/database.js'
import { demoBlock, resetDemoAccounts } from '../src/auth/demo.js'
import { app } from '../src/main.js'

await app.start()
try {
  process.stdout.write(demoBlock(await resetDemoAccounts(app.plugin(databasePlugin).db)))
} finally {
  await app.close()
}
