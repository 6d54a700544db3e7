#!/usr/bin/env node
// trefoil's command line.
// `trefoil serve <app module> [--workers N] [--port P] [--host H] [--grace MS] [--export NAME]`:
// serves the app on N processes (node:cluster), gracefully stopped by SIGTERM / SIGINT. A
// TypeScript app module runs through tsx (registered here and in every worker process when the
// process does not already have it).
// `trefoil openapi-client <document URL or file> [--out FILE] [--types-only]`: writes a typed
// client of a service from its OpenAPI document (openapi-typescript + openapi-fetch), for callers
// that cannot import the app's own types.
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const SERVE_USAGE = 'trefoil serve <app module> [--workers N] [--port P] [--host H] [--grace MS] [--export NAME]'
const CLIENT_USAGE = 'trefoil openapi-client <document URL or file> [--out FILE] [--types-only]'
const USAGE = `Usage: ${SERVE_USAGE}\n       ${CLIENT_USAGE}`

/**
 * A command's options and its one positional argument; anything else prints the command's usage
 * and exits 2.
 */
function commandArgs(args, options, usage) {
  let parsed
  try {
    parsed = parseArgs({ args, allowPositionals: true, options })
  } catch (error) {
    console.error(`${error.message}\nUsage: ${usage}`)
    process.exit(2)
  }
  if (parsed.positionals.length !== 1) {
    console.error(`Usage: ${usage}`)
    process.exit(2)
  }
  return parsed
}

const [command, ...rest] = process.argv.slice(2)
if (command !== 'serve' && command !== 'openapi-client') {
  console.error(command && !command.startsWith('-') ? `Unknown command "${command}"\n${USAGE}` : USAGE)
  process.exit(command === '--help' || command === '-h' ? 0 : 2)
}

// trefoil's own sources are used under the `source` condition (see its package.json exports), as
// in this repository's `npm start` / `npm test`, or when there is no compiled dist/ (a stale
// dist/ next to the sources must not win over them)
const sourceCondition = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((arg) => arg === '--conditions=source' || arg === '-C=source')
const fromSource = sourceCondition || !existsSync(new URL('../dist/workers/serve.js', import.meta.url))
const hasTsx = process.execArgv.some((arg) => /\btsx\b/.test(arg))

if (command === 'openapi-client') await openApiClient(rest)

const { values, positionals } = commandArgs(rest, { workers: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, grace: { type: 'string' }, export: { type: 'string' } }, SERVE_USAGE)
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
const typescript = fromSource || /\.[cm]?tsx?$/.test(entry)
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

/** `trefoil openapi-client`: the client's source to --out (folders made) or to stdout; exits. */
async function openApiClient(args) {
  const { values, positionals } = commandArgs(args, { out: { type: 'string', short: 'o' }, 'types-only': { type: 'boolean' } }, CLIENT_USAGE)
  if (fromSource && !hasTsx) {
    const { register } = await import('tsx/esm/api')
    register()
  }
  const { openApiClientSource } = await import(fromSource ? '../src/openapi/client-file.ts' : '../dist/openapi/client-file.js')
  try {
    const source = await openApiClientSource({ source: positionals[0], fetchClient: !values['types-only'] })
    // exiting right after a write to a pipe could cut it: wait until it is handed over
    if (values.out === undefined) await new Promise((done) => process.stdout.write(source, done))
    else {
      const out = resolve(values.out)
      await mkdir(dirname(out), { recursive: true })
      await writeFile(out, source)
      console.error(`Wrote ${out}`)
    }
  } catch (error) {
    console.error(error.message)
    process.exit(1)
  }
  process.exit(0)
}
