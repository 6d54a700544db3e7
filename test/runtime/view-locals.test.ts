// A view's locals: one object from the handler's data, `ctx.state` and the page's own keys. The
// template reads every name through `with (locals)`, so the object must stay in V8's fast mode,
// and it must not hand the template anything the data did not hold.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { viewLocals } from '../../runtime/src/core/views.js'

const views = fileURLToPath(new URL('../../runtime/src/core/views.ts', import.meta.url))

test('later sources win, and nothing is inherited: no toString, no constructor', () => {
  const locals = viewLocals({ title: 'Projects', user: 'ada' }, { title: 'Rivers' })
  assert.equal({ ...locals }, { title: 'Rivers', user: 'ada' })
  assert.not.ok('toString' in locals)
  assert.not.ok('constructor' in locals)
})

test('a "__proto__" key in handler data stays a plain key, as with a spread, and changes no prototype', () => {
  const data = JSON.parse('{"__proto__": {"admin": true}, "name": "x"}') as object
  const locals = viewLocals(data)
  assert.ok(Object.hasOwn(locals, '__proto__'))
  assert.equal(locals['__proto__'], { admin: true })
  assert.not.ok('admin' in locals)
  assert.is(viewLocals().admin, undefined)
})

test('the locals object is in V8 fast mode (a prototype-less object starts as a dictionary)', () => {
  const script = `import { viewLocals } from ${JSON.stringify(views)}
const locals = viewLocals({ fortunes: [], htmx: false }, { path: '/fortunes' })
locals.include = () => ''
console.log(%HasFastProperties(locals))`
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
  assert.is(out.trim(), 'true')
})

test.run()
