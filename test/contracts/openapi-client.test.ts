// `trefoil openapi-client`: a typed client written from the example's `/openapi.json` with
// openapi-typescript (+ openapi-fetch), for callers that cannot import the app's types. The file
// is type-checked by the compiler with a small caller (each `@ts-expect-error` fails the check if
// its wrong call compiles), then used for real against the running example.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { signUp, startFieldwork, type Fieldwork } from '../examples/fixtures/fieldwork.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../../', import.meta.url))
const CLI = join(root, 'runtime/bin/trefoil.js')
const TSC = join(root, 'node_modules/typescript/bin/tsc')

let fw: Fieldwork
let work = ''

/** Runs `trefoil openapi-client` on this repository's sources; never throws, answers what it printed. */
async function openApiClient(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, ['--conditions=source', CLI, 'openapi-client', ...args], { cwd: work, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  )
}

// A caller of the written client, as another project would write it.
const CALLER = `import { createApiClient, type components } from './api.js'

const api = createApiClient({ baseUrl: 'http://127.0.0.1:8000', headers: { authorization: 'Bearer x' } })

export async function calls(): Promise<void> {
  const one = await api.GET('/v1/projects/{projectId}', { params: { path: { projectId: 1 } } })
  if (one.data) one.data.name satisfies string
  // fields with a default (description, priority, visibility) may be left out
  const body: components['schemas']['ProjectIn'] = { name: 'Roads' }
  const made = await api.POST('/v1/projects', { body })
  if (made.data) made.data.id satisfies number
  if (made.error) made.error.detail satisfies unknown
  const page = await api.GET('/v1/projects', { params: { query: { q: 'roads' } } })
  if (page.data) page.data.map((summary) => summary.name) satisfies string[]
  // @ts-expect-error a path the API does not have
  await api.GET('/v1/nowhere')
  // @ts-expect-error a body of the wrong shape (a project's name is a string)
  await api.POST('/v1/projects', { body: { name: 7 } })
  // @ts-expect-error the path parameter left out
  await api.GET('/v1/projects/{projectId}', { params: { path: {} } })
  // @ts-expect-error reading a field the response model does not have
  void one.data?.ownerEmail
  // @ts-expect-error a method the path does not answer
  await api.PUT('/v1/projects', { body: { name: 'Roads' } })
}
`

/** What this test uses of the written module (its own types are checked by tsc, above). */
interface WrittenClient {
  createApiClient(options: { baseUrl: string; headers?: Record<string, string> }): {
    GET(path: string, init?: object): Promise<{ data?: unknown; error?: unknown; response: Response }>
  }
}

/** The part of a written file that openapi-typescript wrote: from `paths` to the helper, if any. */
function typesOf(text: string): string {
  const start = text.indexOf('export interface paths')
  const helper = text.indexOf('\n/**\n * A client of this API')
  return text.slice(start, helper < 0 ? undefined : helper).trimEnd()
}

const TSCONFIG = {
  compilerOptions: { target: 'es2023', lib: ['es2023'], module: 'nodenext', moduleResolution: 'nodenext', strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, types: ['node'], noEmit: true },
  include: ['*.ts'],
}

test.before(async () => {
  fw = await startFieldwork()
  await fw.app.listen({ port: 0 })
  work = await mkdtemp(join(tmpdir(), 'trefoil-openapi-client-'))
  // the written file imports openapi-fetch as a project that installed it would
  await symlink(join(root, 'node_modules'), join(work, 'node_modules'), 'dir')
  await writeFile(join(work, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  await writeFile(join(work, 'tsconfig.json'), JSON.stringify(TSCONFIG))
})
test.after(async () => {
  await fw?.close()
  if (work) await rm(work, { recursive: true, force: true })
})

test("from a running service's /openapi.json: types and a client the compiler checks, wrong calls refused", async () => {
  const ran = await openApiClient(`${fw.app.url}/openapi.json`, '--out', join(work, 'api.ts'))
  assert.is(ran.code, 0, ran.stderr)
  const source = await readFile(join(work, 'api.ts'), 'utf8')
  assert.match(source, /^\/\/ Written by `trefoil openapi-client` from http:\/\/127\.0\.0\.1:\d+\/openapi\.json/)
  assert.match(source, /export interface paths \{/)
  assert.match(source, /"\/v1\/projects\/\{projectId\}": \{/)
  assert.match(source, /export function createApiClient\(options\?: ClientOptions\): Client<paths, 'application\/json'>/)
  await writeFile(join(work, 'caller.ts'), CALLER)
  const checked = await run(process.execPath, [TSC, '-p', join(work, 'tsconfig.json')], { cwd: work }).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  )
  assert.is(checked, '', `tsc found problems:\n${checked}`)
})

test('the written client calls the running service, typed', async () => {
  const { createApiClient } = (await import(pathToFileURL(join(work, 'api.ts')).href)) as WrittenClient
  const account = await signUp(fw.app)
  const api = createApiClient({ baseUrl: fw.app.url!, headers: account.headers })
  const me = await api.GET('/v1/users/me')
  assert.is(me.response.status, 200)
  assert.is((me.data as { email?: string } | undefined)?.email, account.email)
  const missing = await api.GET('/v1/projects/{projectId}', { params: { path: { projectId: 2147483647 } } })
  assert.is(missing.response.status, 404)
  assert.equal(missing.error, { detail: 'Project 2147483647 not found' })
})

test('from a saved document: the same types; --types-only leaves openapi-fetch out', async () => {
  const saved = join(work, 'openapi.json')
  await writeFile(saved, (await fw.app.inject({ url: '/openapi.json' })).body)
  const ran = await openApiClient(saved, '--types-only')
  assert.is(ran.code, 0, ran.stderr)
  assert.not.match(ran.stdout, /openapi-fetch|createApiClient/)
  const fromUrl = await readFile(join(work, 'api.ts'), 'utf8')
  assert.ok(typesOf(fromUrl).length > 1000)
  assert.is(typesOf(ran.stdout), typesOf(fromUrl))
})

test('a source that is not a document: exit 1 and one message naming it; a bad call: usage and exit 2', async () => {
  const docsPage = await openApiClient(`${fw.app.url}/docs`)
  assert.is(docsPage.code, 1)
  assert.match(docsPage.stderr, /^Cannot write a client of http:\/\/127\.0\.0\.1:\d+\/docs: it is not JSON/)
  const noFile = await openApiClient(join(work, 'nowhere.json'))
  assert.is(noFile.code, 1)
  assert.match(noFile.stderr, /nowhere\.json: no such file/)
  const usage = await openApiClient()
  assert.is(usage.code, 2)
  assert.match(usage.stderr, /Usage: trefoil openapi-client <document URL or file>/)
})

test.run()
