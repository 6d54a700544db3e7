// `npm pack` / `npm publish` of generator-trefoil: packs the runtime into generators/vendor/, so
// an installed generator gives its services the runtime it was published with (no checkout, and
// no registry copy of trefoil needed).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from './src/lib/paths.js'
import { packRuntime } from './src/lib/runtime.js'

const vendor = join(packageRoot(), 'generators', 'vendor')
mkdirSync(vendor, { recursive: true })
for (const old of readdirSync(vendor)) if (old.endsWith('.tgz')) rmSync(join(vendor, old))
const packed = await packRuntime()
writeFileSync(join(vendor, packed.name), packed.contents)
console.log(`generators/vendor/${packed.name}`)
