// Builds the OpenAPI 3.1 document from the registered routes: paths, parameters (the route's and
// its dependencies'), bodies, responses per status, the errors each route and its dependencies
// may answer with, security requirements and tags.
import { STATUS_CODES } from 'node:http'
import t, { type TSchema } from 'typebox'
import type { Dependency } from '../core/depends.js'
import { isSingleSchema, type ResponseDoc, type ResponseSpec, type RouteDefinition } from '../core/routing.js'
import { nameSchema, SchemaRegistry, type JsonObject } from './schemas.js'
import { securityOf, type SecurityScheme } from './security.js'
import { DEFAULT_FILE_BYTES, DEFAULT_MANY, type MultipartSpec } from '../uploads/index.js'
import { TrefoilError } from '../core/trefoil-error.js'

/** What the document says about the API itself. */
export interface DocumentInfo {
  title: string
  version: string
  description?: string | undefined
  servers?: readonly { url: string; description?: string }[] | undefined
  /** Descriptions of tags (units), shown as section headings by the docs UI. */
  tagDescriptions?: Readonly<Record<string, string>> | undefined
  /** The API's license (`{ name: 'MIT', identifier: 'MIT' }`). */
  license?: { name: string; identifier?: string; url?: string } | undefined
}

/** An OpenAPI 3.1 document. */
export interface OpenApiDocument {
  openapi: '3.1.0'
  info: { title: string; version: string; description?: string; license?: { name: string; identifier?: string; url?: string } }
  servers?: { url: string; description?: string }[]
  paths: Record<string, Record<string, JsonObject>>
  components: { schemas?: Record<string, JsonObject>; securitySchemes?: Record<string, SecurityScheme> }
  tags?: { name: string; description?: string }[]
}

// FastAPI's error components, so clients generated against FastAPI services read ours unchanged.
const ValidationErrorSchema = t.Object({
  loc: t.Array(t.Union([t.String(), t.Integer()]), { title: 'Location' }),
  msg: t.String({ title: 'Message' }),
  type: t.String({ title: 'Error Type' }),
})
const HTTPValidationErrorSchema = t.Object({ detail: t.Array(ValidationErrorSchema, { title: 'Detail' }) })
const HTTPErrorSchema = t.Object({ detail: t.String(), code: t.Optional(t.String({ description: 'A stable machine-readable code, when the error has one' })) })
nameSchema(ValidationErrorSchema, 'ValidationError')
nameSchema(HTTPValidationErrorSchema, 'HTTPValidationError')
nameSchema(HTTPErrorSchema, 'HTTPError')


/** Builds the document for `routes`. Throws, naming the schema, when two schemas share a name. */
export function buildDocument(routes: readonly RouteDefinition[], info: DocumentInfo): OpenApiDocument {
  const registry = new SchemaRegistry()
  const securitySchemes: Record<string, SecurityScheme> = {}
  const paths: OpenApiDocument['paths'] = {}
  const tags: string[] = []
  const operationIds = new Map<string, string>()
  const unitDescriptions: Record<string, string> = {}
  for (const route of routes) {
    if (route.options.includeInSchema === false) continue
    const path = openApiPath(route.path)
    const operation = buildOperation(route, registry, securitySchemes)
    const id = operation.operationId as string
    const clash = operationIds.get(id)
    if (clash) throw new TrefoilError('TREFOIL_OPENAPI_NAME_TAKEN', `Cannot use operationId "${id}" for ${route.method} ${route.path}: ${clash} uses it already`)
    operationIds.set(id, `${route.method} ${route.path}`)
    for (const tag of route.options.tags ?? []) {
      if (!tags.includes(tag)) tags.push(tag)
      if (route.tagDescription && !(tag in unitDescriptions)) unitDescriptions[tag] = route.tagDescription
    }
    ;(paths[path] ??= {})[route.method.toLowerCase()] = operation
  }
  const document: OpenApiDocument = {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}), ...(info.license ? { license: { ...info.license } } : {}) },
    // without servers, clients resolve paths against where they read the document
    servers: info.servers?.length ? info.servers.map((s) => ({ ...s })) : [{ url: '/', description: 'The server this document is served from' }],
    paths,
    components: {},
  }
  if (Object.keys(registry.components).length > 0) document.components.schemas = sortedKeys(registry.components)
  if (Object.keys(securitySchemes).length > 0) document.components.securitySchemes = securitySchemes
  if (tags.length > 0) {
    document.tags = tags.map((name) => {
      const description = info.tagDescriptions?.[name] ?? unitDescriptions[name] ?? BUILT_IN_TAGS[name]
      return description ? { name, description } : { name }
    })
  }
  return document
}

// Tags of the routes trefoil's own plugins add.
const BUILT_IN_TAGS: Readonly<Record<string, string>> = {
  health: 'Liveness and readiness of the service, for load balancers and orchestrators',
  'background tasks': 'Status of work that other operations started in the background',
  monitoring: 'Figures about the running process',
}

/** `/v1/projects/:projectId` → `/v1/projects/{projectId}` (also `*rest` → `{rest}`). */
export function openApiPath(path: string): string {
  return path.replace(/[:*]([A-Za-z_$][\w$]*)/g, '{$1}')
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/[:*]([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!)
}

/** Every dependency a route runs, each once, read from the `use` maps (getters resolve now). */
export function dependencyClosure(route: RouteDefinition): Dependency[] {
  const seen = new Set<Dependency>()
  const visit = (dep: Dependency | undefined): void => {
    if (!dep || seen.has(dep)) return
    seen.add(dep)
    for (const key of Object.keys(dep.use)) visit(dep.use[key])
  }
  for (const use of [route.groupUse, route.options.use ?? {}]) for (const key of Object.keys(use)) visit(use[key])
  return [...seen]
}

function buildOperation(route: RouteDefinition, registry: SchemaRegistry, securitySchemes: Record<string, SecurityScheme>): JsonObject {
  const { options } = route
  const operationId = options.operationId ?? defaultOperationId(route)
  const deps = dependencyClosure(route)
  const { multipart, upload } = options
  const operation: JsonObject = {}
  if (options.tags?.length) operation.tags = [...options.tags]
  const summary = options.summary ?? humanise(route.handler.name)
  if (summary) operation.summary = summary
  if (options.description) operation.description = options.description
  operation.operationId = operationId
  if (options.deprecated) operation.deprecated = true

  const parameters = buildParameters(route, deps, registry)
  if (parameters.length > 0) operation.parameters = parameters

  if (options.body || multipart || upload) {
    const content: JsonObject = {}
    if (options.body) {
      const schema = registry.use(options.body, `${pascal(operationId)}Body`)
      // the runner reads JSON and urlencoded forms (htmx posts forms) against the same schema
      content['application/json'] = { schema }
      content['application/x-www-form-urlencoded'] = { schema }
    }
    if (multipart) content['multipart/form-data'] = multipartContent(multipart, registry)
    // a raw upload is the file itself, in one of its allowed types
    if (upload) for (const type of upload.types?.length ? upload.types : ['application/octet-stream']) content[type] = { schema: { type: 'string', contentMediaType: type } }
    operation.requestBody = { required: true, content }
  }

  // an empty raw upload is a 422 too
  const validates = Boolean(options.params || options.query || options.headers || options.body || multipart || upload) || deps.some((d) => d.params || d.query || d.headers)
  const errors = new Set<number>([...(options.errors ?? []), ...deps.flatMap((d) => d.errors)])
  if (validates) errors.add(422)
  if (options.body || multipart || upload) errors.add(413)
  // a JSON body that does not parse or a broken multipart body is a 400; a body of a type the
  // route does not read (or a file of a type it does not take), a 415
  if (options.body || multipart) errors.add(400)
  if (options.body || multipart || upload) errors.add(415)
  operation.responses = buildResponses(route, operationId, [...errors].sort((a, b) => a - b), registry)

  const security = deps.map(securityOf).find((s) => s !== undefined)
  if (security) {
    for (const alternative of security) securitySchemes[alternative.name] = alternative.scheme
    operation.security = security.map((alternative) => ({ [alternative.name]: [] }))
  } else {
    // said explicitly: this operation needs no credentials
    operation.security = []
  }
  return operation
}

// Headers OpenAPI describes elsewhere (security schemes, content negotiation): never parameters.
const IMPLIED_HEADERS = new Set(['authorization', 'accept', 'content-type', 'cookie'])

function buildParameters(route: RouteDefinition, deps: readonly Dependency[], registry: SchemaRegistry): JsonObject[] {
  const sources = [{ params: route.options.params, query: route.options.query, headers: route.options.headers }, ...deps]
  const parameters: JsonObject[] = []
  const seen = new Set<string>()
  const add = (name: string, location: 'path' | 'query' | 'header', schema: TSchema | undefined, required: boolean): void => {
    const key = `${location}:${name}`
    if (seen.has(key)) return
    seen.add(key)
    const converted = schema ? registry.convert(schema) : { type: 'string' }
    const parameter: JsonObject = { name, in: location, required }
    if (typeof converted.description === 'string') parameter.description = converted.description
    if (converted.deprecated === true) parameter.deprecated = true
    parameter.schema = converted
    parameters.push(parameter)
  }
  for (const name of pathParamNames(route.path)) {
    const source = sources.find((s) => propertiesOf(s.params)?.[name])
    add(name, 'path', propertiesOf(source?.params)?.[name], true)
  }
  for (const location of ['query', 'headers'] as const) {
    for (const source of sources) {
      const schema = source[location]
      const properties = propertiesOf(schema)
      if (!properties) continue
      const required = new Set((schema as { required?: string[] }).required ?? [])
      for (const [name, property] of Object.entries(properties)) {
        if (location === 'headers' && IMPLIED_HEADERS.has(name)) continue
        // a parameter with a default may be left out: the server fills it in
        add(name, location === 'headers' ? 'header' : 'query', property, required.has(name) && (property as { default?: unknown }).default === undefined)
      }
    }
  }
  return parameters
}

function buildResponses(route: RouteDefinition, operationId: string, errors: readonly number[], registry: SchemaRegistry): JsonObject {
  const { options } = route
  const responses: JsonObject = {}
  const byStatus = responseSchemas(options.response, options.status ?? 200)
  const success = { view: options.view !== undefined, headers: options.responseHeaders, mediaTypes: options.mediaTypes }
  for (const [status, schema] of byStatus) {
    if (status >= 400) continue
    const name = byStatus.size > 1 ? `${pascal(operationId)}Response${status}` : `${pascal(operationId)}Response`
    responses[String(status)] = successResponse(status, registry.use(schema, name), { ...success, modelled: true })
  }
  if (!byStatus.size) {
    const status = options.status ?? 200
    responses[String(status)] = successResponse(status, {}, { ...success, modelled: false })
  }
  const described = Object.keys(options.responses ?? {}).map(Number)
  for (const status of new Set([...errors, ...[...byStatus.keys()].filter((s) => s >= 400), ...described.filter((s) => s >= 400)])) {
    const custom = byStatus.get(status)
    const schema = custom ? registry.use(custom) : registry.use(status === 422 ? HTTPValidationErrorSchema : HTTPErrorSchema)
    const response: JsonObject = { description: status === 422 ? 'Validation Error' : (STATUS_CODES[status] ?? 'Error'), content: { 'application/json': { schema } } }
    if (status === 401) response.headers = { 'WWW-Authenticate': { description: 'The authentication scheme to use (RFC 6750)', schema: { type: 'string' } } }
    if (status === 503) response.headers = { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer', minimum: 0 } } }
    responses[String(status)] = response
  }
  for (const status of described) {
    const doc = options.responses![status]!
    const derived = responses[String(status)] as JsonObject | undefined
    // without a model, the derived success body is untyped JSON: content the route names replaces it
    const untyped = derived !== undefined && status < 400 && !byStatus.has(status)
    responses[String(status)] = mergeResponse(derived, status, doc, untyped, (schema, mediaType) => registry.use(schema, `${pascal(operationId)}Response${status}${pascal(mediaType)}`))
  }
  // any request can be refused before it reaches the route (malformed HTTP, headers too large):
  // said once, for operations that document no client error of their own
  if (!Object.keys(responses).some((code) => code.startsWith('4'))) {
    responses['4XX'] = { description: 'The request could not be read (malformed HTTP, headers too large); answered by the HTTP server, with no body' }
  }
  return sortedKeys(responses)
}

interface SuccessShape {
  readonly view: boolean
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly mediaTypes: readonly string[] | undefined
  /** The status has a response model: its JSON is documented whatever other types there are. */
  readonly modelled: boolean
}

/**
 * The schema of a body known only by its media type. A JSON one (`…+json`) is described as what
 * it parses to, which may be any JSON value; other types are their bytes.
 */
function bytesSchema(type: string): JsonObject {
  const base = type.split(';')[0]!.trim().toLowerCase()
  if (base === 'application/json' || base.endsWith('+json')) return {}
  return { type: 'string', contentMediaType: type }
}

function headerObject(description: string): JsonObject {
  return { description, schema: { type: 'string' } }
}

/** A route's own description of one status laid over the derived response (or none). */
function mergeResponse(derived: JsonObject | undefined, status: number, doc: ResponseDoc, untyped: boolean, use: (schema: TSchema, mediaType: string) => JsonObject): JsonObject {
  const merged: JsonObject = { ...(derived ?? {}) }
  merged.description = doc.description ?? (derived?.description as string | undefined) ?? STATUS_CODES[status] ?? 'Response'
  if (doc.content !== undefined) {
    const base = untyped ? {} : ((derived?.content as JsonObject | undefined) ?? {})
    // an error status with `{}` has no body; with no content it keeps the usual JSON error
    const content: JsonObject = status >= 400 && Object.keys(doc.content).length === 0 ? {} : { ...base }
    for (const [type, body] of Object.entries(doc.content)) content[type] = { schema: body === 'binary' ? bytesSchema(type) : use(body, type) }
    if (Object.keys(content).length > 0) merged.content = content
    else delete merged.content
  }
  if (doc.headers !== undefined) {
    const headers: JsonObject = { ...((derived?.headers as JsonObject | undefined) ?? {}) }
    for (const [name, text] of Object.entries(doc.headers)) headers[name] = headerObject(text)
    merged.headers = headers
  }
  return merged
}

function successResponse(status: number, schema: JsonObject, shape: SuccessShape): JsonObject {
  const description = status === 200 ? 'Successful Response' : (STATUS_CODES[status] ?? 'Success')
  const headers: JsonObject = {}
  if (status === 201) headers.Location = { description: 'The URL of the created resource, when the operation gives one', schema: { type: 'string', format: 'uri-reference' } }
  for (const [name, text] of Object.entries(shape.headers ?? {})) headers[name] = headerObject(text)
  const withHeaders = (response: JsonObject): JsonObject => (Object.keys(headers).length > 0 ? { ...response, headers } : response)
  if (status === 204 || status === 304 || (status >= 300 && status < 400)) return withHeaders({ description })
  const content: JsonObject = {}
  // a model's JSON is sent whatever else the route can send; without a model, a route that names
  // media types sends only those (a stream, a file)
  if (shape.modelled || !shape.mediaTypes?.length) content['application/json'] = { schema }
  for (const type of shape.mediaTypes ?? []) content[type] = { schema: bytesSchema(type) }
  // the same route renders its view for htmx and browsers
  if (shape.view) content['text/html'] = { schema: { type: 'string' } }
  return withHeaders({ description, content })
}

function responseSchemas(spec: ResponseSpec | undefined, status: number): Map<number, TSchema> {
  if (!spec) return new Map()
  if (isSingleSchema(spec)) return new Map([[status, spec]])
  return new Map(Object.entries(spec).map(([code, schema]) => [Number(code), schema as TSchema]))
}

function multipartContent(spec: MultipartSpec, registry: SchemaRegistry): JsonObject {
  const fields = spec.fields ? registry.convert(spec.fields) : {}
  const properties: JsonObject = { ...((fields.properties as JsonObject | undefined) ?? {}) }
  const required = [...((fields.required as string[] | undefined) ?? [])]
  const encoding: JsonObject = {}
  for (const [name, file] of Object.entries(spec.files ?? {})) {
    const one: JsonObject = { type: 'string', contentMediaType: file.types?.length === 1 ? file.types[0] : 'application/octet-stream' }
    one.description = `At most ${file.maxBytes ?? DEFAULT_FILE_BYTES} bytes`
    const most = file.many === true ? DEFAULT_MANY : typeof file.many === 'number' ? file.many : undefined
    properties[name] = most !== undefined ? { type: 'array', items: one, maxItems: most, ...(file.required ? { minItems: 1 } : {}) } : one
    if (file.required) required.push(name)
    if (file.types?.length) encoding[name] = { contentType: file.types.join(', ') }
  }
  const schema: JsonObject = { type: 'object', properties }
  if (required.length > 0) schema.required = required
  return Object.keys(encoding).length > 0 ? { schema, encoding } : { schema }
}

function propertiesOf(schema: TSchema | undefined): Record<string, TSchema> | undefined {
  return (schema as { properties?: Record<string, TSchema> } | undefined)?.properties
}

/** `GET /v1/projects/:projectId/tasks` → `getV1ProjectsByProjectIdTasks` (unique per route). */
function defaultOperationId(route: RouteDefinition): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const param = /^[:*]([A-Za-z_$][\w$]*)/.exec(segment)
      return param ? `By${pascal(param[1]!)}` : pascal(segment.replace(/[^A-Za-z0-9]+/g, ' '))
    })
  return `${route.method.toLowerCase()}${words.join('')}`
}

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')
}

/** A handler's name as a summary, FastAPI's fallback: `listProjects` → `List Projects`. */
function humanise(name: string): string {
  if (!name || name.startsWith('bound ') || name === 'anonymous') return ''
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .split(' ')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ')
}

function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
