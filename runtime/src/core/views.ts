// EJS views, read and compiled once at start-up so that rendering never touches the disk.
// `include('partials/header')` resolves against the views folder, from the same compiled set.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import ejs from 'ejs'
import { TrefoilError } from './trefoil-error.js'

type Compiled = (locals: object) => string

/** A compiled views folder. */
export interface Views {
  /** Renders `name` (path under the folder, without `.ejs`) with `data`; throws for an unknown view. */
  render(name: string, data: object): string
  /** Whether a view of this name exists. */
  has(name: string): boolean
  /** The layout that wraps full pages (not htmx fragments), if any. */
  readonly layout: string | undefined
}

/** Options of {@link loadViews}. */
export interface ViewsOptions {
  /** The folder holding `.ejs` files. */
  dir: string
  /** A view that wraps full-page responses; it receives the page as `body` plus the page's data. */
  layout?: string
}

/**
 * Reads and compiles every `.ejs` file under `options.dir` (synchronously: start-up only).
 * @example const views = loadViews({ dir: new URL('../views', import.meta.url).pathname, layout: 'layout' })
 */
export function loadViews(options: ViewsOptions): Views {
  const templates = new Map<string, Compiled>()
  for (const path of listTemplates(options.dir)) {
    const name = relative(options.dir, path).split(sep).join('/').replace(/\.ejs$/, '')
    try {
      templates.set(name, ejs.compile(readFileSync(path, 'utf8'), { filename: path, compileDebug: true }) as Compiled)
    } catch (error) {
      throw new TrefoilError('TREFOIL_VIEW_INVALID', `Cannot compile view "${name}": ${(error as Error).message}`, { cause: error })
    }
  }
  if (options.layout && !templates.has(options.layout)) {
    throw new TrefoilError('TREFOIL_VIEW_MISSING', `Cannot use layout "${options.layout}": there is no ${options.layout}.ejs in ${options.dir}`)
  }
  const render = (name: string, data: object): string => {
    const template = templates.get(name)
    if (!template) throw new TrefoilError('TREFOIL_VIEW_MISSING', `View "${name}" does not exist in ${options.dir}`)
    // an `include` local shadows EJS's own (templates run `with (locals)`), so includes come from
    // the compiled set and never touch the disk at render time
    const include = (child: string, childData?: object): string => render(child, childData ? viewLocals(data, childData) : data)
    const locals = viewLocals(data)
    locals.include = include
    return template(locals)
  }
  return { render, has: (name) => templates.has(name), layout: options.layout }
}

/**
 * One object holding the keys of every source, later sources winning: a view's locals.
 * Not `{ ...a, ...b, key }`: on Node 20's V8 a spread followed by more keys leaves the fast clone
 * path and costs about 2.3 µs per call. Not `Object.create(null)` either: V8 starts such an object
 * in dictionary mode, and the template's `with (locals)` then looks every name up in a hash table.
 * Its prototype is an empty frozen object with no prototype above it, so the object stays in fast
 * mode, inherits nothing (`constructor`, `toString` are not locals), and a `__proto__` key in
 * handler data stays a plain key, as it does with a spread.
 */
export function viewLocals(...sources: object[]): Record<string, unknown> {
  return Object.assign(Object.create(LOCALS_PROTOTYPE) as Record<string, unknown>, ...sources)
}

const LOCALS_PROTOTYPE: object = Object.freeze(Object.create(null) as object)

function listTemplates(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...listTemplates(path))
    else if (entry.name.endsWith('.ejs')) found.push(path)
  }
  return found.sort()
}
