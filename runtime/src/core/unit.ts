// Units: a named group of routes under one prefix, sharing dependencies and tags. Each unit is a
// plugin whose setup registers its routes on the app; each `r.get(...)` answers the route's
// contract, so a unit that returns them is typed for the client (route-types.ts).
import type { UseMap } from './depends.js'
import { definePlugin, type Plugin } from './plugin.js'
import type { RouteContract, Unit, UnitRouter, UnitRoutes } from './route-types.js'
import type { HttpMethod, RouteDefinition, RouteOptions, UnitOptions } from './routing.js'
import { TrefoilError } from './trefoil-error.js'

/**
 * Declares a unit of routes; the result is a plugin to list in `createApp({ plugins })`. Return
 * the routes (`(r) => [r.get(...), r.post(...)]`) and the unit's type describes them for the
 * typed client; a build function that returns nothing declares the same routes, untyped.
 * @example
 * export default defineUnit('projects', { prefix: '/v1/projects' }, (r) => [
 *   r.get('/:projectId', { use: { project }, response: ProjectOut }, ({ project }) => project),
 * ])
 */
export function defineUnit<GU extends UseMap = {}, const Prefix extends string = '', const Routes extends UnitRoutes = void>(
  name: string,
  options: UnitOptions<GU> & { prefix?: Prefix },
  build: (router: UnitRouter<GU>) => Routes,
): Unit<Prefix, Routes>
export function defineUnit<const Routes extends UnitRoutes = void>(name: string, build: (router: UnitRouter<{}>) => Routes): Unit<'', Routes>
export function defineUnit(name: string, optionsOrBuild: UnitOptions<UseMap> | ((router: UnitRouter<UseMap>) => UnitRoutes), maybeBuild?: (router: UnitRouter<UseMap>) => UnitRoutes): Plugin {
  const options = typeof optionsOrBuild === 'function' ? {} : optionsOrBuild
  const build = typeof optionsOrBuild === 'function' ? optionsOrBuild : maybeBuild
  if (typeof build !== 'function') throw new TrefoilError('TREFOIL_INVALID_ARGUMENT', `defineUnit("${name}") needs a function that declares its routes`)
  const prefix = normalisePrefix(options.prefix ?? '')
  return definePlugin({
    name,
    label: 'unit',
    setup(app) {
      // one declaration per method: registers the route, answers its contract
      const declare =
        (method: HttpMethod) =>
        (path: string, routeOptions: unknown, handler?: unknown): RouteContract => {
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
          return { method, path }
        }
      const router = { get: declare('GET'), post: declare('POST'), put: declare('PUT'), patch: declare('PATCH'), delete: declare('DELETE'), options: declare('OPTIONS') }
      build(router as unknown as UnitRouter<UseMap>)
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
