// Units: a named group of routes under one prefix, sharing dependencies and tags; each unit is a
// plugin whose setup registers its routes on the app.
import { definePlugin, type Plugin } from './plugin.js'
import type { UseMap } from './depends.js'
import type { HttpMethod, RouteDefinition, RouteMethod, RouteOptions, UnitOptions, UnitRouter } from './routing.js'
import { TrefoilError } from './trefoil-error.js'

/**
 * Declares a unit of routes; the result is a plugin to list in `createApp({ plugins })`.
 * @example
 * export default defineUnit('projects', { prefix: '/v1/projects' }, (r) => {
 *   r.get('/:projectId', { use: { project }, response: ProjectOut }, ({ project }) => project)
 * })
 */
export function defineUnit<GU extends UseMap = {}>(name: string, options: UnitOptions<GU>, build: (router: UnitRouter<GU>) => void): Plugin
export function defineUnit(name: string, build: (router: UnitRouter<{}>) => void): Plugin
export function defineUnit(name: string, optionsOrBuild: UnitOptions<UseMap> | ((router: UnitRouter<UseMap>) => void), maybeBuild?: (router: UnitRouter<UseMap>) => void): Plugin {
  const options = typeof optionsOrBuild === 'function' ? {} : optionsOrBuild
  const build = typeof optionsOrBuild === 'function' ? optionsOrBuild : maybeBuild
  if (!build) throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `defineUnit("${name}") needs a function that declares its routes`)
  const prefix = normalisePrefix(options.prefix ?? '')
  return definePlugin({
    name,
    label: 'unit',
    setup(app) {
      const declare = (method: HttpMethod) =>
        ((path: string, routeOptions: unknown, handler?: unknown) => {
          const [opts, fn] = typeof routeOptions === 'function' ? [{}, routeOptions] : [routeOptions, handler]
          const tags = (opts as RouteOptions).tags ?? options.tags ?? [name]
          app.addRoute({
            method,
            path: joinPath(prefix, path),
            unit: name,
            options: { ...(opts as RouteDefinition['options']), tags },
            groupUse: options.use ?? {},
            handler: fn as RouteDefinition['handler'],
            ...(options.description ? { tagDescription: options.description } : {}),
          })
        }) as RouteMethod<UseMap>
      build({ get: declare('GET'), post: declare('POST'), put: declare('PUT'), patch: declare('PATCH'), delete: declare('DELETE'), options: declare('OPTIONS') })
    },
  })
}

function normalisePrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return ''
  return `/${prefix.replace(/^\/+|\/+$/g, '')}`
}

function joinPath(prefix: string, path: string): string {
  if (path === '' || path === '/') return prefix || '/'
  return `${prefix}/${path.replace(/^\/+/, '')}`
}
