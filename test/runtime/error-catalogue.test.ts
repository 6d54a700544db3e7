// The error catalogue: every code is raised for real by the mistake it names, with a message that
// names the culprit; every code has its section in docs/errors.md and every section a code; and
// no raw `throw new Error(` is left in the runtime but the few no app can cause (ALLOWED_RAW_THROWS).
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createApp, definePlugin, defineSettings, defineUnit, depends, ERROR_CODES, isTrefoilError, SettingsError, t, TrefoilError, type App, type TrefoilErrorCode, type UnitRouter } from 'trefoil'
import { applyMigrations, background, createCsrf, openapi, openApiClientSource, createStorage, createWorkerPool, defineAuth, defineBackground, defineDatabase, defineJob, defineJobs, mapConcurrent, named, serve, sqlFile, startEmbeddedDatabase, TaskError } from 'trefoil'
import { pino } from 'pino'
import { captureLogs } from '../helpers/logs.js'

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!'
const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const work = mkdtempSync(join(tmpdir(), 'trefoil-errors-'))
const unit = (name: string, build: (router: UnitRouter<{}>) => void) => defineUnit(name, build)

/** The error `run` throws or rejects with; fails the test when it does not. */
async function caught(run: () => unknown): Promise<TrefoilError> {
  try {
    await run()
  } catch (error) {
    assert.ok(isTrefoilError(error), `expected a TrefoilError, got ${String(error)}`)
    return error
  }
  return assert.unreachable('no error') as never
}

/** Starts an app of `plugins` (and options), expecting it to fail. */
const starting = (plugins: NonNullable<Parameters<typeof createApp>[0]>['plugins'], options: Parameters<typeof createApp>[0] = {}) => () => createApp({ logger: false, ...options, plugins }).start()

/** The error a request logged as its 500, for mistakes a request finds. */
async function loggedBy(
  make: (logger: ReturnType<typeof captureLogs>['logger']) => App<unknown>,
  url: string,
  headers: Record<string, string> = {},
  request: { method?: string; body?: unknown } = {},
): Promise<{ code: unknown; message: string }> {
  const { logger, lines } = captureLogs('error')
  const app = make(logger)
  const res = await app.inject({ url, headers, method: request.method ?? 'GET', body: request.body })
  await app.close()
  assert.is(res.status, 500)
  const err = lines.find((line) => line.msg === 'Request failed')?.err as { code?: unknown; message?: string } | undefined
  assert.ok(err, 'the failure was logged')
  return { code: err.code, message: err.message ?? '' }
}

function folderWith(name: string, files: Record<string, string>): string {
  const dir = join(work, name)
  for (const [file, text] of Object.entries(files)) {
    const path = join(dir, file)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
  }
  return dir
}

interface Case {
  readonly code: TrefoilErrorCode
  readonly what: string
  readonly run: () => Promise<{ code: unknown; message: string }>
  /** What the message must name: the route, plugin, dependency, parameter or file at fault. */
  readonly names: readonly string[]
}

const thrown = (run: () => unknown) => async () => {
  const error = await caught(run)
  return { code: error.code, message: error.message }
}
const ok = () => 'ok'

const cases: Case[] = [
  {
    code: 'TREFOIL_PLUGIN_DUPLICATE',
    what: 'two units with one name',
    run: thrown(starting([unit('projects', (r) => r.get('/a', ok)), unit('projects', (r) => r.get('/b', ok))])),
    names: ['unit "projects"'],
  },
  {
    code: 'TREFOIL_PLUGIN_ORDER',
    what: 'a plugin listed before the one it requires',
    run: thrown(starting([definePlugin({ name: 'mailer', requires: ['database'], setup() {} }), definePlugin({ name: 'database', setup() {} })])),
    names: ['"mailer"', '"database"'],
  },
  {
    code: 'TREFOIL_PLUGIN_NOT_SET_UP',
    what: 'a plugin used but not listed',
    run: thrown(async () => {
      const cache = definePlugin({ name: 'cache', setup: () => ({ value: new Map() }) })
      const app = createApp({ logger: false, plugins: [unit('u', (r) => r.get('/a', ok))] })
      await app.start()
      return app.plugin(cache)
    }),
    names: ['"cache"'],
  },
  {
    code: 'TREFOIL_PLUGIN_NOT_SET_UP',
    what: 'a plugin used by another plugin\'s setup keeps its code through the wrapping',
    run: thrown(() => {
      const cache = definePlugin({ name: 'cache', setup: () => ({ value: new Map() }) })
      return starting([definePlugin({ name: 'sessions', setup: (app) => void app.plugin(cache) })])()
    }),
    names: ['"sessions"', '"cache"'],
  },
  {
    code: 'TREFOIL_PLUGIN_SETUP_FAILED',
    what: 'a setup that throws',
    run: thrown(starting([definePlugin({ name: 'mailer', setup() { throw new Error('SMTP refused') } })])),
    names: ['"mailer"', 'SMTP refused'],
  },
  {
    code: 'TREFOIL_SETUP_ONLY',
    what: 'app.addRoute after start',
    run: thrown(async () => {
      const app = createApp({ logger: false, plugins: [unit('u', (r) => r.get('/a', ok))] })
      await app.start()
      app.addRoute({ method: 'GET', path: '/late', unit: 'later', options: {}, handler: ok } as never)
    }),
    names: ['GET /late'],
  },
  {
    code: 'TREFOIL_HOOK_UNKNOWN',
    what: 'a hook name that does not exist',
    run: thrown(starting([definePlugin({ name: 'timing', setup: (app) => app.addHook('onFinish' as never, (() => undefined) as never) })])),
    names: ['"timing"', '"onFinish"'],
  },
  {
    code: 'TREFOIL_INVALID_ARGUMENT',
    what: 'defineUnit() without its build function',
    run: thrown(() => defineUnit('projects', {} as never)),
    names: ['defineUnit("projects")'],
  },
  {
    code: 'TREFOIL_INVALID_ARGUMENT',
    what: 'defineSettings() of a non-object schema',
    run: thrown(() => defineSettings(t.String() as never, { envFile: false, env: {} })),
    names: ['defineSettings()'],
  },
  {
    code: 'TREFOIL_INVALID_ARGUMENT',
    what: 'definePlugin() without a name',
    run: thrown(() => definePlugin({ name: '', setup() {} })),
    names: ['definePlugin()'],
  },
  {
    code: 'TREFOIL_INVALID_ARGUMENT',
    what: 'depends() without a function',
    run: thrown(() => depends({ name: 'project' } as never, undefined as never)),
    names: ['depends()'],
  },
  {
    code: 'TREFOIL_INVALID_ARGUMENT',
    what: 'an S3 part size below S3\'s minimum',
    run: thrown(() => createStorage({ STORAGE_URL: 's3://bucket/x' }, { partSize: 1024 })),
    names: ['createStorage()', 'partSize 1024'],
  },
  {
    code: 'TREFOIL_INVALID_ARGUMENT',
    what: 'serve() on a negative number of processes',
    run: thrown(() => serve(join(work, 'main.js'), { workers: -1 })),
    names: ['serve with -1 workers'],
  },
  {
    code: 'TREFOIL_INVALID_ARGUMENT',
    what: 'a batch of limit 0',
    run: thrown(() => mapConcurrent([1, 2], 0, (n) => n)),
    names: ['batch with limit 0'],
  },
  {
    code: 'TREFOIL_INVALID_ARGUMENT',
    what: 'an upload saved under a path rather than a file name, found by the request that saves it',
    run: () =>
      loggedBy(
        (logger) =>
          createApp({
            logger,
            plugins: [unit('photos', (r) => r.put('/photo', { upload: { types: ['image/png'], tempDir: join(work, 'temp') } }, ({ upload }) => upload.saveTo(join(work, 'saved'), { name: '../escape.png' })))],
          }),
        '/photo',
        { 'content-type': 'image/png' },
        { method: 'PUT', body: Buffer.concat([PNG_BYTES, Buffer.alloc(64)]) },
      ),
    names: ['"../escape.png"', 'plain file name'],
  },
  {
    code: 'TREFOIL_DUPLICATE_ROUTE',
    what: 'two units declaring one route',
    run: thrown(starting([unit('projects', (r) => r.get('/projects', ok)), unit('admin', (r) => r.get('/projects', ok))])),
    names: ['GET /projects', '"admin"', '"projects"'],
  },
  {
    code: 'TREFOIL_DUPLICATE_ROUTE',
    what: 'two paths that differ only by a parameter name',
    run: thrown(starting([unit('projects', (r) => r.get('/projects/:id', ok)), unit('admin', (r) => r.get('/projects/:projectId', ok))])),
    names: ['GET /projects/:'],
  },
  {
    code: 'TREFOIL_ROUTE_PATH_INVALID',
    what: 'a path the router cannot read',
    run: thrown(starting([unit('files', (r) => r.get('/files/:name(', ok))])),
    names: ['GET /files/:name('],
  },
  {
    code: 'TREFOIL_ROUTE_OPTIONS_INVALID',
    what: 'a body and an upload on one route',
    run: thrown(starting([unit('photos', (r) => r.post('/photos', { body: t.Object({}), upload: { types: ['image/png'] } }, ok))])),
    names: ['POST /photos', '"photos"', 'body, multipart and upload'],
  },
  {
    code: 'TREFOIL_ROUTE_OPTIONS_INVALID',
    what: 'an upload option with an impossible value',
    run: thrown(starting([unit('photos', (r) => r.post('/photos', { multipart: { files: { photo: { maxBytes: 0 } } } }, ok))])),
    names: ['POST /photos', 'files.photo.maxBytes'],
  },
  {
    code: 'TREFOIL_ROUTE_PARAM_MISSING',
    what: 'a dependency reading a path parameter the path lacks',
    run: thrown(() => {
      const project = depends({ name: 'project', params: t.Object({ projectId: t.Integer() }) }, ({ params }) => params.projectId)
      return starting([unit('tasks', (r) => r.get('/tasks', { use: { project } }, ok))])()
    }),
    names: ['GET /tasks', '"project"', '"projectId"'],
  },
  {
    code: 'TREFOIL_ROUTE_PARAM_MISSING',
    what: 'a params schema reading a parameter the path lacks',
    run: thrown(starting([unit('tasks', (r) => r.get('/tasks', { params: t.Object({ id: t.Integer() }) }, ok))])),
    names: ['GET /tasks', '"id"'],
  },
  {
    code: 'TREFOIL_SCHEMA_INVALID',
    what: 'a body schema that does not compile',
    run: thrown(starting([unit('tasks', (r) => r.post('/tasks', { body: { type: 'object', properties: { n: { type: 'numbr' } } } as never }, ok))])),
    names: ['POST /tasks', 'body schema'],
  },
  {
    code: 'TREFOIL_SCHEMA_INVALID',
    what: 'a headers schema with a capitalised name',
    run: thrown(starting([unit('tasks', (r) => r.get('/tasks', { headers: t.Object({ 'X-Key': t.String() }) }, ok))])),
    names: ['GET /tasks', '"X-Key"'],
  },
  {
    code: 'TREFOIL_REFINEMENT_UNPLACEABLE',
    what: 'a refinement inside a union',
    run: thrown(starting([unit('odd', (r) => r.post('/odd', { body: t.Object({ value: t.Union([t.Refine(t.String(), (s) => s.length > 2), t.Integer()]) }) }, ok))])),
    names: ['POST /odd', '/value'],
  },
  {
    code: 'TREFOIL_DEPENDENCY_NAME_TAKEN',
    what: 'a dependency under a reserved input name',
    run: thrown(() => {
      const user = depends({ name: 'user' }, () => 'me')
      return starting([unit('me', (r) => r.get('/me', { use: { body: user } }, ok))])()
    }),
    names: ['GET /me', '"body"'],
  },
  {
    code: 'TREFOIL_NOT_A_DEPENDENCY',
    what: 'a plain function in use',
    run: thrown(starting([unit('me', (r) => r.get('/me', { use: { user: (() => 'me') as never } }, ok))])),
    names: ['GET /me', '"user"'],
  },
  {
    code: 'TREFOIL_DEPENDENCY_CYCLE',
    what: 'dependencies that use each other',
    run: thrown(() => {
      const deps: Record<string, ReturnType<typeof depends>> = {}
      deps.project = depends({ name: 'project', use: { get role() { return deps.role! } } }, () => 1)
      deps.role = depends({ name: 'role', use: { get project() { return deps.project! } } }, () => 2)
      return starting([unit('cyclic', (r) => r.get('/x', { use: { project: deps.project! } }, ok))])()
    }),
    names: ['GET /x', 'project -> role -> project'],
  },
  {
    code: 'TREFOIL_RESPONSE_MISMATCH',
    what: 'a response that does not fit its model (checked outside production)',
    run: () => loggedBy((logger) => createApp({ logger, checkResponses: true, plugins: [unit('tasks', (r) => r.get('/tasks/1', { response: t.Object({ id: t.Integer() }) }, () => ({ id: 'one' }) as never))] }), '/tasks/1'),
    names: ['GET /tasks/1'],
  },
  {
    code: 'TREFOIL_VIEW_MISSING',
    what: 'a route naming a view the folder lacks',
    run: thrown(starting([unit('pages', (r) => r.get('/home', { view: 'home' }, ok))], { views: folderWith('no-home', { 'about.ejs': 'about' }) })),
    names: ['GET /home', '"home"'],
  },
  {
    code: 'TREFOIL_VIEW_MISSING',
    what: 'a layout the folder lacks',
    run: thrown(starting([unit('pages', (r) => r.get('/home', ok))], { views: { dir: folderWith('no-layout', { 'home.ejs': 'home' }), layout: 'frame' } })),
    names: ['"frame"', 'frame.ejs'],
  },
  {
    code: 'TREFOIL_VIEW_MISSING',
    what: 'a view including one that does not exist, found by the request that renders it',
    run: () =>
      loggedBy(
        (logger) => createApp({ logger, views: folderWith('bad-include', { 'home.ejs': "<%- include('partials/menu') %>" }), plugins: [unit('pages', (r) => r.get('/home', { view: 'home' }, () => ({})))] }),
        '/home',
        { 'HX-Request': 'true' },
      ),
    names: ['"partials/menu"'],
  },
  {
    code: 'TREFOIL_VIEW_INVALID',
    what: 'a template that does not compile',
    run: thrown(starting([unit('pages', (r) => r.get('/home', ok))], { views: folderWith('broken', { 'home.ejs': '<% if ( { %>' }) })),
    names: ['"home"'],
  },
  {
    code: 'TREFOIL_SETTINGS_INVALID',
    what: 'a variable that does not fit the settings schema',
    run: thrown(() => defineSettings(t.Object({ PORT: t.Integer() }), { envFile: false, env: { PORT: 'eighty' } })),
    names: ['PORT'],
  },
  {
    code: 'TREFOIL_SETTINGS_INVALID',
    what: 'a STORAGE_URL of a scheme storage does not know',
    run: thrown(() => createStorage({ STORAGE_URL: 'ftp://host/dir' })),
    names: ['STORAGE_URL', 'ftp://host/dir'],
  },
  {
    code: 'TREFOIL_SETTINGS_INVALID',
    what: 'an s3:// STORAGE_URL that is not a URL',
    run: thrown(() => createStorage({ STORAGE_URL: 's3://[bucket' })),
    names: ['STORAGE_URL', 's3://[bucket'],
  },
  {
    code: 'TREFOIL_SETTINGS_INVALID',
    what: 'an s3:// STORAGE_URL carrying credentials',
    run: thrown(() => createStorage({ STORAGE_URL: 's3://key:secret@bucket/x' })),
    names: ['STORAGE_URL', 'S3_ACCESS_KEY_ID'],
  },
  {
    code: 'TREFOIL_SETTINGS_INVALID',
    what: 'an S3 key id without its secret',
    run: thrown(() => createStorage({ STORAGE_URL: 's3://bucket/x', S3_ACCESS_KEY_ID: 'id' })),
    names: ['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'],
  },
  {
    code: 'TREFOIL_APP_CLOSED',
    what: 'a background task tracked by a request still running when the app closed',
    run: async () => {
      const { logger, lines } = captureLogs('error')
      let entered!: () => void
      const inside = new Promise<void>((resolve) => (entered = resolve))
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      const app = createApp({
        logger,
        plugins: [
          defineBackground(),
          unit('reports', (r) =>
            r.post('/reports', { use: { background } }, async ({ background }) => {
              entered()
              await gate
              return background.track('report', async () => undefined)
            }),
          ),
        ],
      })
      const answer = app.inject({ method: 'POST', url: '/reports' })
      await inside
      await app.close()
      release()
      assert.is((await answer).status, 500)
      const err = lines.find((line) => line.msg === 'Request failed')?.err as { code?: unknown; message?: string }
      return { code: err.code, message: err.message ?? '' }
    },
    names: ['"report"'],
  },
  {
    code: 'TREFOIL_APP_NOT_STARTED',
    what: 'the OpenAPI document read by a plugin\'s setup, before the app has started',
    run: thrown(() => {
      const docs = openapi({ title: 'T', version: '1' })
      return starting([docs, definePlugin({ name: 'mirror', setup: (app) => void app.plugin(docs).document() })])()
    }),
    names: ['"mirror"', 'OpenAPI document', 'onReady'],
  },
  {
    code: 'TREFOIL_AUTH_OPTIONS_INVALID',
    what: 'defineAuth() with neither a secret nor a JWKS URL',
    run: thrown(() => defineAuth({})),
    names: ['defineAuth()', 'secret or jwksUrl'],
  },
  {
    code: 'TREFOIL_AUTH_NOT_CONFIGURED',
    what: 'a role required without roleIn',
    run: thrown(() => defineAuth({ secret: SECRET }).requireRole('mapper')),
    names: ['"mapper"', 'roleIn'],
  },
  {
    code: 'TREFOIL_SECRET_TOO_SHORT',
    what: 'a token secret of a few bytes',
    run: thrown(() => defineAuth({ secret: 'hunter2' })),
    names: ['token secret of 7 bytes'],
  },
  {
    code: 'TREFOIL_SECRET_TOO_SHORT',
    what: 'a CSRF secret of a few bytes',
    run: thrown(() => createCsrf({ secret: 'hunter2' })),
    names: ['CSRF secret of 7 bytes'],
  },
  {
    code: 'TREFOIL_ROLE_UNKNOWN',
    what: 'a role that is not among the roles',
    run: thrown(() => defineAuth({ secret: SECRET, roleIn: () => undefined }).requireRole('owner' as never)),
    names: ['"owner"'],
  },
  {
    code: 'TREFOIL_DATABASE_UNAVAILABLE',
    what: 'a database that does not answer at start-up',
    run: thrown(() => {
      const { plugin } = defineDatabase({ health: false, connectTimeout: 2000 })
      return createApp({ logger: false, settings: { DATABASE_URL: 'postgres://app:pw@127.0.0.1:9/fieldwork' }, plugins: [plugin] }).start()
    }),
    names: ['127.0.0.1:9/fieldwork'],
  },
  {
    code: 'TREFOIL_DATABASE_NOT_CONFIGURED',
    what: 'a tracked background task in an app whose background plugin has no database',
    run: () => loggedBy((logger) => createApp({ logger, plugins: [defineBackground(), unit('reports', (r) => r.post('/reports', { use: { background } }, async ({ background }) => background.track('report', async () => undefined)))] }), '/reports', {}, { method: 'POST' }),
    names: ['"report"', 'no database'],
  },
  {
    code: 'TREFOIL_QUERY_FILE_INVALID',
    what: 'a query file that does not exist',
    run: thrown(() => sqlFile(join(work, 'missing.sql'))),
    names: ['missing.sql'],
  },
  {
    code: 'TREFOIL_MIGRATIONS_UNREADABLE',
    what: 'a migrations folder that does not exist',
    run: thrown(() => applyMigrations({} as never, join(work, 'no-migrations'))),
    names: ['no-migrations'],
  },
  {
    code: 'TREFOIL_EMBEDDED_DATABASE_FAILED',
    what: 'an embedded database in a folder holding other files',
    run: thrown(() => startEmbeddedDatabase({ dataDir: folderWith('not-postgres', { 'notes.txt': 'mine' }) })),
    names: ['not-postgres'],
  },
  {
    code: 'TREFOIL_JOB_DUPLICATE',
    what: 'two jobs with one name',
    run: thrown(() => defineJobs({ database: defineDatabase().plugin, jobs: [defineJob('report', t.Object({}), () => undefined), defineJob('report', t.Object({}), () => undefined)] })),
    names: ['"report"'],
  },
  {
    code: 'TREFOIL_JOB_NOT_REGISTERED',
    what: 'working on a job that is not listed',
    run: thrown(() => defineJobs({ database: defineDatabase().plugin, jobs: [defineJob('report', t.Object({}), () => undefined)], work: ['reprot'] })),
    names: ['"reprot"'],
  },
  {
    code: 'TREFOIL_TASK_INVALID',
    what: 'a task module without a default export, reported from the worker thread',
    run: async () => {
      const pool = createWorkerPool({ size: 1, log: pino({ level: 'silent' }) })
      try {
        const error = (await pool.run(new URL('../workers/fixtures/no-default.js', import.meta.url), {}).catch((e: unknown) => e)) as TaskError
        assert.instance(error, TaskError)
        return { code: error.code, message: error.message }
      } finally {
        await pool.close()
      }
    },
    names: ['no-default.js'],
  },
  {
    code: 'TREFOIL_SERVE_ENTRY_INVALID',
    what: 'serve() of a module that exports no app',
    run: thrown(() => serve(pathToFileURL(join(folderWith('no-app', { 'main.mjs': 'export const notAnApp = 1\n' }), 'main.mjs')), { workers: 0 })),
    names: ['no-app/main.mjs', '"app" or "default"'],
  },
  {
    code: 'TREFOIL_SERVE_IN_WORKER',
    what: 'serve() called from a cluster worker, reported by that worker',
    run: async () => {
      const fixture = fileURLToPath(new URL('../workers/fixtures/serve-in-worker.ts', import.meta.url))
      const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, fixture], { cwd: root, timeout: 30_000 })
      return JSON.parse(stdout.trim().split('\n')[0]!) as { code: unknown; message: string }
    },
    names: ['server-app.ts', 'from a cluster worker'],
  },
  {
    code: 'TREFOIL_OPENAPI_NAME_TAKEN',
    what: 'one schema given two component names',
    run: thrown(() => {
      const Project = t.Object({ id: t.Integer() })
      named('Project', Project)
      named('ProjectOut', Project)
    }),
    names: ['"ProjectOut"', '"Project"'],
  },
  {
    code: 'TREFOIL_OPENAPI_CLIENT_FAILED',
    what: 'a typed client asked of a file that is not an OpenAPI document',
    run: thrown(() => openApiClientSource({ source: join(folderWith('not-openapi', { 'openapi.json': '{"swagger": "2.0"}' }), 'openapi.json') })),
    names: ['not-openapi/openapi.json', 'not an OpenAPI 3 document'],
  },
  {
    code: 'TREFOIL_UPLOAD_ALREADY_SAVED',
    what: 'an upload put in a storage after it was moved',
    run: () =>
      loggedBy(
        (logger) => {
          const storage = createStorage({ STORAGE_URL: join(work, 'store') })
          return createApp({
            logger,
            plugins: [
              unit('photos', (r) =>
                r.put('/photo', { upload: { types: ['image/png'], tempDir: join(work, 'temp') } }, async ({ upload }) => {
                  await upload.saveTo(folderWith('kept', {}))
                  return upload.saveTo(storage)
                }),
              ),
            ],
          })
        },
        '/photo',
        { 'content-type': 'image/png' },
        { method: 'PUT', body: Buffer.concat([PNG_BYTES, Buffer.alloc(64)]) },
      ),
    names: ['already saved to'],
  },
]

for (const each of cases) {
  test(`${each.code}: ${each.what}`, async () => {
    const { code, message } = await each.run()
    assert.is(code, each.code)
    for (const name of each.names) assert.ok(message.includes(name), `the message names ${name}: ${message}`)
  })
}

// Codes whose mistake needs a running PostgreSQL: raised for real by the database test named here.
const RAISED_ELSEWHERE: Partial<Record<TrefoilErrorCode, string>> = { TREFOIL_MIGRATION_FAILED: 'test/db/migrations.test.ts' }

test('every code is raised by at least one case above (or by the test named in RAISED_ELSEWHERE)', () => {
  for (const [code, file] of Object.entries(RAISED_ELSEWHERE)) assert.ok(readFileSync(join(root, file), 'utf8').includes(`'${code}'`), `${file} asserts ${code}`)
  const raised = new Set([...cases.map((each) => each.code), ...Object.keys(RAISED_ELSEWHERE)])
  assert.equal(Object.keys(ERROR_CODES).filter((code) => !raised.has(code as TrefoilErrorCode)), [])
})

test('ERROR_CODES maps each code to itself, all TREFOIL_…', () => {
  for (const [key, value] of Object.entries(ERROR_CODES)) {
    assert.is(key, value)
    assert.match(key, /^TREFOIL_[A-Z_]+$/)
  }
})

test('a TrefoilError keeps its cause, its name and its code', async () => {
  const error = await caught(starting([definePlugin({ name: 'mailer', setup() { throw new RangeError('port') } })]))
  assert.instance(error.cause, RangeError)
  assert.is(error.name, 'TrefoilError')
  assert.instance(error, Error)
  const settings = await caught(() => defineSettings(t.Object({ PORT: t.Integer() }), { envFile: false, env: {} }))
  assert.instance(settings, SettingsError)
})

test('docs/errors.md has a section for every code and a code for every section', () => {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8')
  const sections = [...doc.matchAll(/^## (TREFOIL_[A-Z_]+)\s*$/gm)].map((m) => m[1]!)
  const codes = Object.keys(ERROR_CODES)
  assert.equal(codes.filter((code) => !sections.includes(code)), [], 'codes without a section')
  assert.equal(sections.filter((code) => !codes.includes(code)), [], 'sections without a code')
  assert.is(new Set(sections).size, sections.length, 'a code with two sections')
  // each section says what it means, a typical cause and the fix
  for (const body of doc.split(/^## /m).slice(1)) {
    const code = body.split('\n')[0]!.trim()
    for (const part of ['**Cause**', '**Fix**']) assert.ok(body.includes(part), `${code} has a ${part} paragraph`)
  }
})

// Raw throws not given a code, by file, with how many each holds. None of them is a mistake an
// app can make: a new raw throw fails this test, so give it a TrefoilError code (or, for a
// client's mistake, an HttpError) unless it belongs to one of these kinds.
const ALLOWED_RAW_THROWS: Record<string, number> = {
  // invariants of the runtime itself: a temp file shorter than what the upload thread wrote, the
  // worker runner imported outside a worker thread, pg-promise not loaded in a worker that loaded it
  'uploads/thread.ts': 1,
  'workers/runner.ts': 2,
  // an S3-compatible server that breaks the protocol (a range ignored, no upload id, no part
  // ETag): the server's fault, reported as its own, not a mistake in the app
  'storage/s3.ts': 1,
  'storage/s3-parts.ts': 2,
  // the typed client's expect(): the caller's own assertion about an answer failing, like
  // assert.equal's, not a mistake in an app
  'client/index.ts': 1,
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : []
  })
}

test('no raw throw new Error / TypeError / RangeError in runtime/src outside the allowed list', () => {
  const src = join(root, 'runtime/src')
  const found: Record<string, number> = {}
  for (const file of sourceFiles(src)) {
    const count = readFileSync(file, 'utf8').match(/throw new (?:Error|TypeError|RangeError)\(/g)?.length ?? 0
    if (count > 0) found[relative(src, file)] = count
  }
  assert.equal(found, ALLOWED_RAW_THROWS)
})

test.after(() => rmSync(work, { recursive: true, force: true }))

test.run()
