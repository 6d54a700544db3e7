// OpenAPI 3.1 from the registered routes, served at `/openapi.json`, and a Swagger UI docs page
// at `/docs` whose files come from the installed `swagger-ui-dist` package (no CDN at run time).
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import type { TSchema } from 'typebox'
import type { App } from '../core/app-api.js'
import { NotFound } from '../core/errors.js'
import { TrefoilError } from '../core/trefoil-error.js'
import { escapeHtml } from '../core/error-response.js'
import { buildDocument, type DocumentInfo, type OpenApiDocument } from './document.js'
import { nameSchema } from './schemas.js'
import { definePlugin, type Plugin } from '../core/plugin.js'
import { file, html, json, stream, type Reply } from '../core/responses.js'
import type { RouteDefinition } from '../core/routing.js'

export type { OpenApiDocument } from './document.js'
export { fileResponses, type FileResponsesOptions } from './file-responses.js'

/** Options of {@link openapi}. */
export interface OpenApiOptions {
  /** The API's name, shown as the docs page's heading. */
  title: string
  /** The API's version (not the OpenAPI version). */
  version: string
  description?: string
  /** Where the API is served, e.g. `[{ url: 'https://tasks.example.org' }]`. */
  servers?: { url: string; description?: string }[]
  /** The API's license, e.g. `{ name: 'MIT', identifier: 'MIT' }`. */
  license?: { name: string; identifier?: string; url?: string }
  /** Descriptions of tags; a unit's routes are tagged with the unit's name (its `description` is the default). */
  tags?: Record<string, string>
  /** Where the document is served (default `/openapi.json`). */
  path?: string
  /** Where the docs page is served (default `/docs`); `false` for none. */
  docsPath?: string | false
}

/**
 * Names a schema: it appears once in the document as `#/components/schemas/<name>` and every use
 * refers to it. Returns the same schema object (validation is unchanged).
 * Unnamed object schemas of bodies and responses get a name from their route's `operationId`.
 * @example export const ProjectOut = named('ProjectOut', t.Object({ id: t.Integer(), name: t.String() }))
 */
export function named<S extends TSchema>(name: string, schema: S): S {
  nameSchema(schema, name)
  return schema
}

/**
 * Builds the OpenAPI document for a list of routes (usually `app.routes` after `app.start()`).
 * Throws when two different schemas carry the same name.
 * @example const doc = buildOpenApi(app.routes, { title: 'Fieldwork', version: '1.0.0' })
 */
export function buildOpenApi(routes: readonly RouteDefinition[], options: Pick<OpenApiOptions, 'title' | 'version' | 'description' | 'servers' | 'tags' | 'license'>): OpenApiDocument {
  const info: DocumentInfo = { title: options.title, version: options.version, description: options.description, servers: options.servers, tagDescriptions: options.tags, license: options.license }
  return buildDocument(routes, info)
}

// The files of swagger-ui-dist the page needs; nothing else of the folder is reachable.
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

/**
 * Serves the OpenAPI document and the docs page. The document is built once at start-up, after
 * every plugin has registered its routes, so it describes those listed after this one too (and a
 * schema naming clash fails the start). The plugin's own routes are left out of it.
 * @example createApp({ settings, plugins: [openapi({ title: 'Fieldwork', version: '1.0.0' }), projects] })
 */
export function openapi(options: OpenApiOptions): Plugin<{ document(): OpenApiDocument }> {
  const specPath = options.path ?? '/openapi.json'
  const docsPath = options.docsPath === undefined ? '/docs' : options.docsPath
  return definePlugin({
    name: 'openapi',
    setup(app: App) {
      const own = new Set<RouteDefinition>()
      const add = (path: string, handler: (input: { params: Record<string, string> }) => unknown): void => {
        const definition: RouteDefinition = { method: 'GET', path, unit: 'openapi', options: {}, groupUse: {}, handler: handler as RouteDefinition['handler'] }
        own.add(definition)
        app.addRoute(definition)
      }
      let built: OpenApiDocument | undefined
      // built once every plugin has registered its routes, so a naming clash fails the start
      app.onReady(() => {
        const document = buildOpenApi(
          app.routes.filter((route) => !own.has(route)),
          options,
        )
        built = document
      })
      const document = (): OpenApiDocument => {
        if (!built) throw new TrefoilError('TREFOIL_APP_NOT_STARTED', `Cannot read the OpenAPI document yet (plugin "openapi"): it is built once every plugin is set up, when the app has started (read it in an onReady hook, a handler or after start())`)
        return built
      }
      add(specPath, function openApiDocument(): Reply {
        return json(document())
      })
      if (docsPath !== false) {
        const assets = swaggerUiFolder()
        const base = docsPath.replace(/\/+$/, '')
        add(docsPath, function docsPage(): Reply {
          return html(docsPageHtml(options.title, base))
        })
        add(`${base}/init.js`, function docsInit(): Reply {
          // a file rather than an inline script, so the page runs under a CSP without 'unsafe-inline'
          return initScript(specPath)
        })
        add(`${base}/assets/:asset`, function docsAsset({ params }): Reply {
          const type = Object.hasOwn(ASSETS, params.asset!) ? ASSETS[params.asset!] : undefined
          if (!type) throw new NotFound('Asset not found')
          return file(join(assets, params.asset!), { type, headers: { 'cache-control': 'public, max-age=86400' } })
        })
      }
      return { value: { document } }
    },
  })
}

function initScript(specPath: string): Reply {
  // validatorUrl: null, or Swagger UI shows a badge fetched from validator.swagger.io (no network at run time)
  const script = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specPath)}, dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null })\n`
  return stream(Readable.from([script]), { type: 'text/javascript; charset=utf-8' })
}

function swaggerUiFolder(): string {
  const require = createRequire(import.meta.url)
  return dirname(require.resolve('swagger-ui-dist/package.json'))
}

function docsPageHtml(title: string, base: string): string {
  const escaped = escapeHtml(title)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escaped} - docs</title>
<link rel="stylesheet" href="${base}/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="${base}/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/assets/swagger-ui-bundle.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>
`
}

export { markSecurity, securityOf, type SecurityAlternative, type SecurityScheme } from './security.js'
export { openApiClientSource, type OpenApiClientOptions } from './client-file.js'
