// The fieldwork app: what it is made of, in one list. Run it with `npm start` (embedded database,
// nothing else to install); tests import `app` and use `app.inject()` or `app.listen()`.
import { fileURLToPath } from 'node:url'
import { createApp, openapi, security } from 'trefoil'
import { demoData } from './auth/demo.js'
import auth from './auth/routes.js'
import { settings, usesDevelopmentSecret } from './config.js'
import { databasePlugin } from './db/database.js'
import exportsUnit from './exports/routes.js'
import pages, { signInRedirect } from './pages.js'
import projects from './projects/routes.js'
import submissions from './submissions/routes.js'
import tasks from './tasks/routes.js'
import { backgroundPlugin, workersPlugin } from './workers.js'

/** The app. */
export const app = createApp({
  settings,
  plugins: [
    security(),
    openapi({ title: 'Fieldwork', version: '1.0.0', description: 'Field-mapping projects split into tasks that mappers lock and map and validators validate', license: { name: 'MIT', identifier: 'MIT' } }),
    databasePlugin,
    demoData,
    workersPlugin,
    backgroundPlugin,
    signInRedirect,
    pages,
    auth,
    projects,
    tasks,
    submissions,
    exportsUnit,
  ],
  views: { dir: fileURLToPath(new URL('../views', import.meta.url)), layout: 'layout' },
})

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (usesDevelopmentSecret) app.log.warn('SECRET_KEY is not set: tokens are signed with the published development key (refused when NODE_ENV=production)')
  await app.listen()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
}
