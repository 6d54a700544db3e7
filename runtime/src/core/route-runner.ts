// Compiles a route definition once, at start-up, into the function that serves it: validate the
// URL and headers (422) → solve dependencies (401 / 403 / 404) → read and validate the body (422)
// → handler → send → cleanups. A body is read only once the dependencies agreed: an anonymous
// client cannot make the server read, parse and check a megabyte before it answers 401.
import type { TSchema } from 'typebox'
import { RESERVED_INPUT_NAMES } from './depends.js'
import { ValidationError } from './errors.js'
import { isSingleSchema, type ResponseSpec, type RouteDefinition } from './routing.js'
import { boundIssues, toIssues, validateCoerced, type SchemaCompiler, type ValidationIssue, type Validator } from './validation.js'
import type { Views } from './views.js'
import type { AppView } from './app-view.js'
import { readBody } from './body.js'
import { compileMultipart, compileUpload, defaultTempDir, readMultipart, readUpload, type TempCleanup } from '../uploads/index.js'
import type { RequestContext } from './context.js'
import { send, type SendTarget } from './send.js'
import { codeOf, TrefoilError, type RouteFailure } from './trefoil-error.js'
import { checkFor, serializerFor } from './serialize.js'
import { check, DependencyGraph, RequestScope, type DepNode } from './solver.js'

/** What every route of an app shares. */
export interface RouteEnvironment {
  readonly app: AppView
  readonly views: Views | undefined
  readonly bodyLimit: number
  readonly checkResponses: boolean
  /** The app's own schema compiler: every schema of the route is compiled with the app's formats. */
  readonly compiler: SchemaCompiler
  /** Logs a failed cleanup (the response has gone out; nobody else can hear it). */
  readonly logCleanupFailure: (route: string, error: unknown) => void
}

/** A route ready to serve, with a dependency plan that overrides can rebuild. */
export interface CompiledRoute {
  readonly definition: RouteDefinition
  readonly name: string
  /** Serves a request the router matched to this route (`ctx.params` set). */
  readonly serve: (ctx: RequestContext) => Promise<void>
  /** Every dependency the route runs, dependencies first (for docs and checks). */
  readonly dependencies: () => readonly DepNode[]
  /** Re-plans the dependencies against a new graph (after an override). */
  replan(graph: DependencyGraph): void
}

/** Compiles `definition`; throws at start-up for schemas that do not compile or bad `use` keys. */
export function compileRoute(definition: RouteDefinition, env: RouteEnvironment, graph: DependencyGraph): CompiledRoute {
  const { options } = definition
  const name = `${definition.method} ${definition.path}`
  const fail: RouteFailure = (message, code, cause) => {
    throw new TrefoilError(code, `Cannot register route "${name}" of "${definition.unit}": ${message}`, { cause })
  }
  const compile = (schema: TSchema | undefined, what: string, compiler: (s: TSchema) => Validator): Validator | undefined => {
    if (!schema) return undefined
    try {
      return compiler(schema)
    } catch (error) {
      return fail(`its ${what} schema does not compile: ${(error as Error).message}`, codeOf(error, 'TREFOIL_SCHEMA_INVALID'), error)
    }
  }
  checkHeaderNames(options.headers, fail)
  const compiler = env.compiler
  const coercing = (schema: TSchema) => compiler.compileCoercing(schema)
  const pathNames = pathParamNames(definition.path)
  for (const key of requiredParams(options.params)) {
    if (!pathNames.includes(key)) fail(`its params schema reads path parameter "${key}", which its path does not declare`, 'TREFOIL_ROUTE_PARAM_MISSING')
  }
  const paramsV = compile(options.params, 'params', coercing)
  const queryV = compile(options.query, 'query', coercing)
  const headersV = compile(options.headers, 'headers', coercing)
  const bodyJsonV = compile(options.body, 'body', (schema) => compiler.compileBody(schema))
  const bodyFirstV = compile(options.body, 'body', (schema) => compiler.compileBodyFirstError(schema))
  const bodyFormV = compile(options.body, 'body', coercing)
  const bodyLimit = options.bodyLimit ?? env.bodyLimit
  // a multipart body or a raw file body, read once the dependencies agreed
  if ([options.body, options.multipart, options.upload].filter(Boolean).length > 1) fail('it may declare only one of body, multipart and upload', 'TREFOIL_ROUTE_OPTIONS_INVALID')
  const tempDir = defaultTempDir(env.app.settings)
  const multipartPlan = options.multipart ? compileMultipart(options.multipart, tempDir, coercing, fail) : undefined
  const uploadPlan = options.upload ? compileUpload(options.upload, tempDir, fail) : undefined
  const uploadNames = multipartPlan ? ['fields', 'files'] : uploadPlan ? ['upload'] : []
  // whether the route reads a body: refused before reading it, its connection closes after the answer
  const readsBody = bodyJsonV !== undefined || multipartPlan !== undefined || uploadPlan !== undefined

  const use = { ...definition.groupUse }
  for (const [key, dep] of Object.entries(options.use ?? {})) {
    if (RESERVED_INPUT_NAMES.has(key)) fail(`"${key}" is a reserved input name and cannot name a dependency`, 'TREFOIL_DEPENDENCY_NAME_TAKEN')
    if (key in use) fail(`"${key}" is already a dependency of its unit`, 'TREFOIL_DEPENDENCY_NAME_TAKEN')
    if (uploadNames.includes(key)) fail(`"${key}" is the route's upload input and cannot name a dependency`, 'TREFOIL_DEPENDENCY_NAME_TAKEN')
    use[key] = dep
  }

  let roots: (readonly [string, DepNode])[] = []
  let closure: DepNode[] = []
  let validateDeps = false
  const replan = (g: DependencyGraph): void => {
    try {
      roots = g.entries(use, name)
    } catch (error) {
      fail((error as Error).message, codeOf(error, 'TREFOIL_SCHEMA_INVALID'), error)
    }
    closure = DependencyGraph.closure(roots)
    // a dependency reading a parameter the path lacks would answer every request with a 422
    // naming the client's "missing" field: a server bug, refused here instead
    for (const node of closure) {
      for (const key of requiredParams(node.dep.params)) {
        if (!pathNames.includes(key)) fail(`its dependency "${node.dep.name}"${chainTo(roots, node)} reads path parameter "${key}", which the route's path does not declare`, 'TREFOIL_ROUTE_PARAM_MISSING')
      }
    }
    validateDeps = closure.some((node) => node.params || node.query || node.headers)
  }
  replan(graph)

  const target: SendTarget = {
    name,
    status: options.status ?? 200,
    responseFor: responseLookup(options.response),
    view: options.view,
    views: env.views,
    checkResponses: env.checkResponses,
    reportDropped: env.checkResponses ? reportOnce(env.app, name) : undefined,
    compiler,
  }
  if (options.view && !env.views?.has(options.view)) fail(`its view "${options.view}" does not exist`, 'TREFOIL_VIEW_MISSING')
  // compiled now, so a first request pays nothing and a schema that cannot compile stops the start
  if (options.response) for (const schema of schemasOf(options.response)) primeResponse(schema, env.checkResponses ? compiler : undefined, fail)

  const handler = definition.handler as (input: Record<string, unknown>) => unknown
  const { app } = env

  const serve = async function runRoute(ctx: RequestContext): Promise<void> {
    ctx.state.route = name
    // no `?` in the URL: no query to parse (Koa would parse the URL to find that out)
    const query = ctx.req.url!.includes('?') ? (ctx.query as Record<string, unknown>) : {}
    const raw = { params: ctx.params, query, headers: ctx.headers as Record<string, unknown> }
    const issues: ValidationIssue[] = []
    const input: Record<string, unknown> = { params: raw.params, query: raw.query, headers: raw.headers, body: undefined, ctx, app }
    if (paramsV) input.params = check(paramsV, raw.params, 'path', issues)
    if (queryV) input.query = check(queryV, raw.query, 'query', issues)
    if (headersV) input.headers = check(headersV, raw.headers, 'header', issues)
    const scope = roots.length > 0 ? new RequestScope(ctx, app, raw) : undefined
    if (scope && validateDeps) scope.validate(closure, issues)
    if (issues.length > 0) {
      if (readsBody) closeAfterResponse(ctx)
      throw new ValidationError(boundIssues(dedupe(issues)))
    }

    let uploads: TempCleanup | undefined
    let streamed: boolean
    try {
      if (scope) {
        const pending = scope.resolveInto(roots, input)
        if (pending) await pending
      }
      // a body is read only once the dependencies agreed (auth, roles, the row it belongs to):
      // a 401, 403 or 404 answers before the client has sent a megabyte, or a gigabyte, for nothing
      if (bodyJsonV) input.body = await readValidBody(ctx)
      else if (multipartPlan) {
        const form = await readMultipart(ctx, multipartPlan)
        uploads = form.cleanup
        input.fields = form.fields
        input.files = form.files
        if (form.issues.length > 0) await refuse(uploads, form.issues)
      } else if (uploadPlan) {
        const upload = await readUpload(ctx, uploadPlan)
        uploads = upload.cleanup
        input.upload = upload.file
        if (upload.issues.length > 0) await refuse(uploads, upload.issues)
      }
      const result = handler(input)
      const sent = send(ctx, target, result instanceof Promise ? await result : result)
      // most answers are sent synchronously: no extra turn of the microtask queue for them
      streamed = sent === false ? false : await sent
    } catch (error) {
      if (scope) {
        await scope.settle()
        await scope.cleanup(error).catch((cleanupError: unknown) => env.logCleanupFailure(name, cleanupError))
      }
      if (readsBody && !ctx.req.complete) closeAfterResponse(ctx)
      // a failed handler keeps none of the files it did not save, and its error answer reads none
      // of them: deleted before the answer, so a client told 4xx / 5xx finds no object it sent
      await uploads?.discard()
      throw error
    } finally {
      uploads?.handlerDone()
    }
    if (!scope?.hasCleanups) return
    // a streamed body may still read from what the dependencies hold: release it when sent
    if (streamed) ctx.res.once('close', () => void scope.cleanup(undefined).catch((error: unknown) => env.logCleanupFailure(name, error)))
    else await scope.cleanup(undefined)
  }

  /**
   * Reads the JSON or form body and validates it. Every issue is listed for a body of up to
   * FULL_REPORT_SIZE characters; a larger one is checked up to its first error only, so that the
   * work and the 422 stay bounded whatever it holds.
   */
  async function readValidBody(ctx: RequestContext): Promise<unknown> {
    const body = await readBody(ctx, bodyLimit)
    if (body.value === undefined) throw new ValidationError([{ loc: ['body'], msg: 'Field required', type: 'missing' }])
    const issues: ValidationIssue[] = []
    if (body.form) validateCoerced(bodyFormV!, body.value as Record<string, unknown>, 'body', issues)
    else if (!bodyFirstV!(body.value)) {
      if (body.size <= FULL_REPORT_SIZE && !bodyJsonV!(body.value)) for (const issue of toIssues(bodyJsonV!.errors, 'body')) issues.push(issue)
      else for (const issue of toIssues(bodyFirstV!.errors, 'body')) issues.push(issue)
      if (body.size > FULL_REPORT_SIZE) issues.push(unlisted(body.size))
    }
    if (issues.length > 0) throw new ValidationError(boundIssues(dedupe(issues)))
    return body.value
  }

  return { definition, name, serve, dependencies: () => closure, replan }
}

/**
 * Largest body (in characters) whose every issue is listed. Listing costs ~5 µs an issue on a
 * loaded machine and a body can hold one issue every two characters: 8 KiB stays within ~20 ms.
 */
const FULL_REPORT_SIZE = 8 * 1024

/** The last issue of a large body's 422: it was checked up to its first error only. */
function unlisted(size: number): ValidationIssue {
  return { loc: ['body'], msg: `Only the first issue is listed: a body of ${size} characters is checked up to its first error (up to ${FULL_REPORT_SIZE} characters, every issue is listed)`, type: 'issues_not_listed' }
}

/** A request that fails validation keeps none of its files, not even until the response. */
async function refuse(uploads: TempCleanup | undefined, issues: ValidationIssue[]): Promise<never> {
  await uploads?.discard()
  throw new ValidationError(boundIssues(dedupe(issues)))
}

/**
 * Refused before its body was read: the connection closes after the answer, so the client stops
 * sending (Node would otherwise read and discard the rest of an upload to reuse the connection).
 */
function closeAfterResponse(ctx: RequestContext): void {
  if (!ctx.headerSent) ctx.set('Connection', 'close')
}

function responseLookup(spec: ResponseSpec | undefined): (status: number) => TSchema | undefined {
  if (!spec) return () => undefined
  if (isSingleSchema(spec)) {
    // one schema: the model of every success status
    return (status) => (status >= 200 && status < 300 ? spec : undefined)
  }
  const byStatus = new Map(Object.entries(spec).map(([status, schema]) => [Number(status), schema as TSchema]))
  return (status) => byStatus.get(status)
}

function schemasOf(spec: ResponseSpec): TSchema[] {
  if (isSingleSchema(spec)) return [spec]
  return Object.values(spec) as TSchema[]
}

// `checker`: the app's compiler when responses are checked
function primeResponse(schema: TSchema, checker: SchemaCompiler | undefined, fail: RouteFailure): void {
  try {
    serializerFor(schema)
    if (checker) checkFor(schema, checker)
  } catch (error) {
    fail((error as Error).message, codeOf(error, 'TREFOIL_SCHEMA_INVALID'), error)
  }
}

/** The names of a path's parameters (`/:projectId/files/*` → `projectId`, `*`). */
function pathParamNames(path: string): string[] {
  const names = [...path.matchAll(/:([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!)
  if (path.includes('*')) names.push('*')
  return names
}

/** The parameters a params schema cannot do without: required and with no default. */
function requiredParams(schema: TSchema | undefined): string[] {
  const object = schema as { properties?: Record<string, { default?: unknown }>; required?: string[] } | undefined
  if (!object?.properties) return []
  return (object.required ?? []).filter((key) => object.properties![key]?.default === undefined)
}

/** ` (used by "a" -> "b")`: how the route reaches a dependency it does not use directly. */
function chainTo(roots: readonly (readonly [string, DepNode])[], target: DepNode): string {
  const search = (node: DepNode, trail: string[]): string[] | undefined => {
    if (node === target) return trail
    for (const [, child] of node.children) {
      const found = search(child, [...trail, node.dep.name])
      if (found) return found
    }
    return undefined
  }
  for (const [, root] of roots) {
    const trail = search(root, [])
    if (trail) return trail.length > 0 ? ` (through ${trail.map((name) => `"${name}"`).join(' -> ')})` : ''
  }
  return ''
}

function checkHeaderNames(schema: TSchema | undefined, fail: RouteFailure): void {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties
  if (!properties) return
  for (const key of Object.keys(properties)) {
    if (key !== key.toLowerCase()) fail(`its headers schema names "${key}": header names must be lowercase`, 'TREFOIL_SCHEMA_INVALID')
  }
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>()
  return issues.filter((issue) => {
    const key = `${issue.loc.join('\u0000')}\u0001${issue.type}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * A reporter that logs each field a route's model drops once: a field the client never receives
 * is often a renamed property or a forgotten one in the model, and one line says which.
 */
function reportOnce(app: AppView, route: string): (field: string) => void {
  const reported = new Set<string>()
  return (field) => {
    if (reported.has(field)) return
    reported.add(field)
    app.log.info({ route, field }, 'The response model dropped a field')
  }
}
