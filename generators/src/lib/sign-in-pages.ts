// The sign-in of a service that has both pages and a sign-in (`yo trefoil --pages --auth`, or
// the first unit with pages and `--auth` / `--role`): the sign-in and sign-up pages and signing
// out (src/auth/pages.ts, views/sign-in.ejs, views/sign-up.ejs, with the sign-up page's test),
// listed in main.ts, with createApp sending browsers that need to sign in to that page. Written
// once per service; running it again changes nothing.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NameError } from './names.js'
import { templatesOf } from './paths.js'
import type { ShellFs } from './pages.js'
import { wirePlugin } from './wiring.js'

// template (under templates/app/auth/pages) → path in the service
const FILES: readonly [string, string][] = [
  ['src/pages.ts', 'src/auth/pages.ts'],
  ['views/sign-in.ejs', 'views/sign-in.ejs'],
]

// written only with src/auth/pages.ts: a service whose pages.ts came without the sign-up routes
// would get a view nothing serves and a test that fails
const SIGN_UP_FILES: readonly [string, string][] = [
  ['views/sign-up.ejs', 'views/sign-up.ejs'],
  ['tests/sign-up-pages.test.ts', 'tests/sign-up-pages.test.ts'],
]

const IMPORT = "import { sessionHint, signInPages } from './auth/pages.js'"
const ERROR_PAGES = "  // a browser that needs to sign in goes to the sign-in page, and back where it was after\n  errorPages: { signIn: '/sign-in' },"

/** main.ts with the sign-in pages listed and createApp's `errorPages.signIn` set. */
export function wireSignIn(main: string): string {
  let out = wirePlugin(main, 'sessionHint', IMPORT)
  out = wirePlugin(out, 'signInPages', IMPORT)
  if (/^\s*errorPages:/m.test(out)) return out
  const views = /^\s*views: .*\n/m.exec(out)
  if (!views) throw new NameError("Cannot send browsers to the sign-in page from src/main.ts: its createApp has no `views:`; add `errorPages: { signIn: '/sign-in' }` to its options by hand")
  const at = views.index + views[0].length
  return `${out.slice(0, at)}${ERROR_PAGES}\n${out.slice(at)}`
}

/**
 * Writes the sign-in and sign-up pages into the service at `root` (after the site shell: they
 * need its layout and src/site.ts): the files missing, and the wiring in main.ts. Answers the
 * paths written or changed.
 */
export function writeSignInPages(fs: ShellFs, root: string): string[] {
  if (!fs.exists(join(root, 'src', 'auth', 'logic.ts'))) throw new NameError('Cannot add a sign-in page here: the service has no src/auth/ (it was not made with yo trefoil --auth)')
  const changed: string[] = []
  const put = (path: string, contents: string): void => {
    const absolute = join(root, path)
    const existing = fs.exists(absolute) ? fs.read(absolute, { defaults: '' }) : null
    if (existing === contents) return
    fs.write(absolute, contents)
    // main.ts as it is on disk, changed on purpose: no conflict prompt
    if (existing !== null && existsSync(absolute)) (fs.store.get(absolute) as { conflicter?: string }).conflicter = 'force'
    changed.push(path)
  }
  const withSignUp = !fs.exists(join(root, 'src', 'auth', 'pages.ts'))
  for (const [template, path] of [...FILES, ...(withSignUp ? SIGN_UP_FILES : [])]) {
    if (!fs.exists(join(root, path))) put(path, readFileSync(join(templatesOf('app'), 'auth', 'pages', template), 'utf8'))
  }
  const mainPath = join(root, 'src', 'main.ts')
  put('src/main.ts', wireSignIn(fs.read(mainPath, { defaults: '' }) ?? ''))
  return changed
}
