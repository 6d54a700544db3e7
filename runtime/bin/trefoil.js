#!/usr/bin/env node
// trefoil's command line. `trefoil serve <app module> [--workers N] [--port P] [--host H]
// [--grace MS] [--export NAME]`: serves the app on N processes (node:cluster), gracefully
// stopped by SIGTERM / SIGINT. A TypeScript app module runs through tsx (registered here and in
// every worker process when the process does not already have it).
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

const USAGE = 'Usage: trefoil serve <app module> [--workers N] [--port P] [--host H] [--grace MS] [--export NAME]'

const [command, ...rest] = process.argv.slice(2)
if (command !== 'serve') {
  console.error(command ? `Unknown command "${command}"\n${USAGE}` : USAGE)
  process.exit(command === '--help' || command === '-h' ? 0 : 2)
}

let parsed
try {
  parsed = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { workers: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, grace: { type: 'string' }, export: { type: 'string' } },
  })
} catch (error) {
  console.error(`${error.message}\n${USAGE}`)
  process.exit(2)
}
const { values, positionals } = parsed
if (positionals.length !== 1) {
  console.error(USAGE)
  process.exit(2)
}
const integer = (name) => {
  if (values[name] === undefined) return undefined
  const n = Number(values[name])
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, not "${values[name]}"`)
    process.exit(2)
  }
  return n
}

const entry = resolve(positionals[0])
if (!existsSync(entry)) {
  console.error(`Cannot serve ${entry}: no such file`)
  process.exit(2)
}
// trefoil's own sources are used under the `source` condition (see its package.json exports), as
// in this repository's `npm start` / `npm test`, or when there is no compiled dist/ (a stale
// dist/ next to the sources must not win over them)
const sourceCondition = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg === '--conditions=source' || arg === '-C=source')
const fromSource = sourceCondition || !existsSync(new URL('../dist/workers/serve.js', import.meta.url))
const typescript = fromSource || /\.[cm]?tsx?$/.test(entry)
const hasTsx = process.execArgv.some((arg) => /\btsx\b/.test(arg))
const nodeArgs = []
if (typescript && !hasTsx) {
  const { register } = await import('tsx/esm/api')
  register()
  nodeArgs.push('--import', 'tsx')
}
if (fromSource && !sourceCondition) nodeArgs.push('--conditions=source')

const { serve } = await import(fromSource ? '../src/workers/serve.ts' : '../dist/workers/serve.js')
try {
  await serve(entry, {
    workers: integer('workers'),
    port: integer('port'),
    host: values.host,
    graceMs: integer('grace'),
    exportName: values.export,
    nodeArgs,
  })
} catch (error) {
  console.error(error.message)
  process.exit(1)
}
