// The fieldwork app: what it is made of, in one list. Run it with `npm start`.
import { fileURLToPath } from 'node:url'
import { createApp } from 'trefoil'
import { settings } from './config.js'
import pages from './pages.js'
import projects from './projects/routes.js'

/** The app; tests import it and use `app.inject()`. */
export const app = createApp({
  settings,
  plugins: [pages, projects],
  views: { dir: fileURLToPath(new URL('../views', import.meta.url)), layout: 'layout' },
})

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await app.listen()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
}
