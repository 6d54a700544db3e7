// The storage suite against the local driver: files under a temp folder. Its leftovers are any
// hidden temp or metadata file without its object, anywhere under the folder.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { createStorage, type Storage } from 'trefoil'
import { storageSuite } from './suite.js'

let root = ''
const folders = new WeakMap<Storage, string>()

storageSuite({
  name: 'local',
  async open() {
    root ||= await mkdtemp(join(tmpdir(), 'trefoil-storage-test-'))
    const dir = await mkdtemp(join(root, 'store-'))
    const storage = createStorage({ STORAGE_URL: `file://${dir}` })
    folders.set(storage, dir)
    return storage
  },
  async leftovers(storage) {
    const dir = folders.get(storage)!
    const entries = await readdir(dir, { recursive: true })
    const names = new Set(entries.map((entry) => String(entry)))
    // a metadata file is a leftover only without its object
    return [...names].filter((path) => basename(path).startsWith('.tmp-') || (basename(path).endsWith('.meta') && !names.has(join(path, '..', basename(path).slice(1, -'.meta'.length)))))
  },
  async cleanup() {
    if (root) await rm(root, { recursive: true, force: true })
  },
})
