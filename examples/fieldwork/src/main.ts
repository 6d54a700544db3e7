// The fieldwork app: what it is made of, in one list. Run it with `npm start` (embedded database,
// nothing else to install); tests import `app` and use `app.inject()` or `app.listen()`.
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { closeOnSignals, createApp, DEFAULT_CSP, openapi, security } from 'trefoil'
import { demoData } from './auth/demo.js'
import auth from './auth/routes.js'
import { mapTiles, settings, usesDevelopmentSecret } from './config.js'
import { databasePlugin } from './db/database.js'
import exportsUnit from './exports/routes.js'
import pages, { canonicalIds, sessionHint } from './pages.js'
import progress from './projects/progress.js'
import projects from './projects/routes.js'
import submissions from './submissions/routes.js'
import { storagePlugin } from './submissions/storage.js'
import tasks from './tasks/routes.js'
import { backgroundPlugin, jobsPlugin, workersPlugin } from './workers.js'

/**
 * Where the basemap's tiles come from, as a CSP source: `{s}` subdomains become `*`. Pages may
 * load images from there and nowhere else but the app.
 */
function tileSource(template: string): string {
  if (!template) return ''
  const url = new URL(template.replaceAll('{s}', 'subdomain').replaceAll(/\{[^}]*\}/g, '0'))
  return `${url.protocol}//${url.host.replace(/^subdomain\./, '*.')}`
}

const CSP = DEFAULT_CSP.replace("img-src 'self' data:", `img-src 'self' data: ${tileSource(mapTiles)}`.trimEnd())

// In development on a terminal, logs read as lines (pino-pretty, on its own thread); piped, or
// in production, they stay JSON lines for whatever collects them.
const prettyLogs = settings.NODE_ENV === 'development' && process.stdout.isTTY === true
const logger = prettyLogs ? { transport: { target: createRequire(import.meta.url).resolve('pino-pretty'), options: { colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } } : undefined

/** The app. */
export const app = createApp({
  settings,
  proxy: settings.TRUST_PROXY,
  ...(logger ? { logger } : {}),
  plugins: [
    security({ contentSecurityPolicy: CSP }),
    openapi({ title: 'Fieldwork', version: '1.0.0', description: 'Field-mapping projects split into tasks that mappers lock and map and validators validate', license: { name: 'MIT', identifier: 'MIT' } }),
    databasePlugin,
    storagePlugin,
    demoData,
    workersPlugin,
    backgroundPlugin,
    jobsPlugin,
    canonicalIds,
    sessionHint,
    pages,
    auth,
    projects,
    progress,
    tasks,
    submissions,
    exportsUnit,
  ],
  views: { dir: fileURLToPath(new URL('../views', import.meta.url)), layout: 'layout' },
  // a browser that needs to sign in goes to the sign-in page, and back where it was after
  errorPages: { signIn: '/login' },
})

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (usesDevelopmentSecret) app.log.warn('SECRET_KEY is not set: tokens are signed with a random development key kept in DATA_DIR/secret-key (refused when NODE_ENV=production)')
  await app.listen()
  // SIGTERM / SIGINT: /health/ready answers 503 from then on (SHUTDOWN_DRAIN_MS of serving as
  // usual first, when set), idle and half-sent connections close, in-flight requests get the rest
  // of SHUTDOWN_TIMEOUT_MS, then the plugins close and the process exits (1 if requests were cut)
  closeOnSignals(app)
}
