// A typed client of a service written from its OpenAPI document, for callers that cannot import
// its TypeScript types (another repository, a front end built elsewhere): openapi-typescript turns
// the document into types of its paths, and openapi-fetch calls them. `trefoil openapi-client`
// writes this file. Both packages are loaded only here, when a client is written: an app that
// never writes one does not need them installed.
import { readFile } from 'node:fs/promises'
import { TrefoilError } from '../core/trefoil-error.js'

/** Options of {@link openApiClientSource}. */
export interface OpenApiClientOptions {
  /**
   * Where the document is: the URL of a running service's document
   * (`http://127.0.0.1:8000/openapi.json`), or a JSON file saved from one.
   */
  source: string
  /**
   * Also write `createApiClient()`, a client over openapi-fetch typed by the document (default
   * true); false writes the types alone, for another client library.
   */
  fetchClient?: boolean
  /** How long a URL may take to answer, in ms (default 30 000). */
  timeoutMs?: number
}

// What this module uses of openapi-typescript, typed here: its own types name TypeScript 5's
// compiler API, which the app's TypeScript need not match.
interface Generator {
  default(source: object, options: { silent: boolean; defaultNonNullable: boolean }): Promise<unknown[]>
  astToString(ast: unknown[]): string
}

const HELPER = `
/**
 * A client of this API over fetch, typed by the document: paths, path and query parameters,
 * bodies and each status's answer.
 * @example
 * const api = createApiClient({ baseUrl: 'http://127.0.0.1:8000', headers: { authorization: \`Bearer \${token}\` } })
 * const { data, error } = await api.GET('/v1/projects/{projectId}', { params: { path: { projectId: 1 } } })
 */
export function createApiClient(options?: ClientOptions): Client<paths, 'application/json'> {
  // JSON answers only: routes that also render pages document text/html beside it
  return createClient<paths, 'application/json'>(options)
}
`

/**
 * The TypeScript source of a typed client of the API whose OpenAPI document is at
 * `options.source`: its types (openapi-typescript's `paths`, `components`, `operations`) and
 * `createApiClient()` over openapi-fetch. Throws a `TREFOIL_OPENAPI_CLIENT_FAILED` error naming the
 * source when the document cannot be read or is not OpenAPI 3, or openapi-typescript is missing.
 * @example await writeFile('src/api.ts', await openApiClientSource({ source: 'http://127.0.0.1:8000/openapi.json' }))
 */
export async function openApiClientSource(options: OpenApiClientOptions): Promise<string> {
  const document = await readDocument(options.source, options.timeoutMs ?? 30_000)
  const generator = await loadGenerator()
  let types: string
  try {
    // a field with a default may be left out of a request: not `required`, as the document says
    types = generator.astToString(await generator.default(document, { silent: true, defaultNonNullable: false }))
  } catch (error) {
    throw failed(options.source, `openapi-typescript refused the document: ${messageOf(error)}`, error)
  }
  const fetchClient = options.fetchClient ?? true
  const header = [
    `// Written by \`trefoil openapi-client\` from ${options.source}: the API's paths, operations and`,
    `// schemas as types (openapi-typescript)${fetchClient ? ', and a client over fetch typed by them (openapi-fetch)' : ''}.`,
    '// Do not edit: run the command again when the API changes.',
  ].join('\n')
  const imports = fetchClient ? "\nimport createClient, { type Client, type ClientOptions } from 'openapi-fetch'\n" : ''
  return `${header}\n${imports}\n${types.trimEnd()}\n${fetchClient ? HELPER : ''}`
}

/** The parsed document at `source` (a URL or a file), checked to be OpenAPI 3. */
async function readDocument(source: string, timeoutMs: number): Promise<object> {
  let text: string
  if (/^https?:\/\//i.test(source)) {
    let response: Response
    try {
      response = await fetch(source, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) })
    } catch (error) {
      throw failed(source, `the request failed (${messageOf(error)}); is the service running?`, error)
    }
    if (!response.ok) throw failed(source, `it answered ${response.status} ${response.statusText}`.trimEnd())
    text = await response.text()
  } else {
    try {
      text = await readFile(source, 'utf8')
    } catch (error) {
      throw failed(source, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(error), error)
    }
  }
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    throw failed(source, `it is not JSON (${messageOf(error)})`, error)
  }
  const version = (document as { openapi?: unknown } | null)?.openapi
  if (typeof document !== 'object' || document === null || typeof version !== 'string' || !version.startsWith('3.') || typeof (document as { paths?: unknown }).paths !== 'object') {
    throw failed(source, 'it is not an OpenAPI 3 document (no "openapi": "3.x" and "paths")')
  }
  return document
}

/** openapi-typescript, or an error saying how to install it. */
async function loadGenerator(): Promise<Generator> {
  // a name in a variable: the compiler does not resolve it, so the runtime builds without the package
  const name = 'openapi-typescript'
  try {
    return (await import(name)) as Generator
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND'
    throw new TrefoilError(
      'TREFOIL_OPENAPI_CLIENT_FAILED',
      missing ? 'Cannot write a client: openapi-typescript is not installed (npm install --save-dev openapi-typescript openapi-fetch)' : `Cannot write a client: openapi-typescript did not load: ${messageOf(error)}`,
      { cause: error },
    )
  }
}

function failed(source: string, why: string, cause?: unknown): TrefoilError {
  return new TrefoilError('TREFOIL_OPENAPI_CLIENT_FAILED', `Cannot write a client of ${source}: ${why}`, cause === undefined ? {} : { cause })
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
