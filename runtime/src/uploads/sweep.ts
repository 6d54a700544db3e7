// Removes the request temp folders a process left behind when it was killed mid-upload (a
// finished request always removes its own). Runs once per temp root per process, at start-up,
// in the background: it touches only `req-XXXXXX` folders that are ours, directly in the root,
// and whose folder and files have not changed for longer than any request can take.
import { lstat, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * How old a folder must be to be swept. Node's server stops reading a request body after its
 * `requestTimeout` (5 min by default), and a request's files are written while it is read; an
 * hour leaves room for handlers that keep their temp files while they work, and for sibling
 * processes (`trefoil serve --workers N`) sharing the root, whose live uploads keep changing.
 */
export const STALE_AFTER_MS = 60 * 60 * 1000

// what UploadFolder's mkdtemp makes: `req-` and six characters
const REQUEST_FOLDER = /^req-[A-Za-z0-9]{6}$/

const sweeps = new Map<string, Promise<void>>()

/** Starts (once per root) the sweep of stale request folders under `root`; never rejects. */
export function sweepStaleFolders(root: string): Promise<void> {
  let sweep = sweeps.get(root)
  if (!sweep) {
    sweep = sweepOnce(root, Date.now() - STALE_AFTER_MS).catch(() => undefined)
    sweeps.set(root, sweep)
  }
  return sweep
}

async function sweepOnce(root: string, before: number): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => [])
  const uid = process.getuid?.()
  const stale: string[] = []
  // decide about every folder first, then remove: a folder another process is still filling
  // is never half-examined while we delete
  for (const entry of entries) {
    // a Dirent tells a symlink from a folder: links are never followed
    if (!entry.isDirectory() || !REQUEST_FOLDER.test(entry.name)) continue
    const dir = join(root, entry.name)
    try {
      const info = await lstat(dir)
      if (uid !== undefined && info.uid !== uid) continue
      if ((await lastChange(dir, info.mtimeMs)) < before) stale.push(dir)
    } catch {
      // gone meanwhile (its request finished, or a sibling process swept it)
    }
  }
  await Promise.all(stale.map((dir) => rm(dir, { recursive: true, force: true }).catch(() => undefined)))
}

/** The latest modification time of the folder and the files in it (a live upload keeps writing). */
async function lastChange(dir: string, folderTime: number): Promise<number> {
  let latest = folderTime
  for (const name of await readdir(dir)) {
    const info = await lstat(join(dir, name)).catch(() => undefined)
    if (info && info.mtimeMs > latest) latest = info.mtimeMs
  }
  return latest
}
