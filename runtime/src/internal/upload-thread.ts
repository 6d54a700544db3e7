// The upload thread's own code: it hashes and writes the 1 MiB blocks of large uploads, so the
// event loop only parses and copies. SHA-256 and the copy into the page cache were over half of
// the server's CPU per uploaded byte; on the event loop they held a 1 GiB upload to about half
// of the bench baseline (`curl -T` to a bare HTTP sink piped to `cat > file`): 49–54%.
//
// It is a dedicated thread rather than a task of the worker pool: a file is a stream of blocks
// that must reach one open file descriptor and one hash state in order, which a pool of
// independent tasks cannot give. The code is plain JavaScript run with `eval`, so it needs no
// loader and is the same from the sources and from dist.
//
// Each file has a ring of blocks in a SharedArrayBuffer, shared once at 'open': messages name a
// block by its number, so no ArrayBuffer is made or moved per block (each moved 1 MiB buffer is
// new external memory for both threads' garbage collectors; the thread's CPU per GiB measured
// 0.9–1.2 s with the ring against 1.3–1.7 s with moved buffers, on a busy machine).
// Messages in:  { t: 'open', id, path, hash, ring, block } · { t: 'data', id, slot, len }
//               · { t: 'end', id } · { t: 'abort', id }
// Messages out: { t: 'free', id, slot } (the block may be refilled) · { t: 'error', id, message, code }
//               (once, at the first failure) · { t: 'done', id, sha256 } after 'end'
//               · { t: 'closed', id } after 'abort', or after 'end' of a failed file
export const UPLOAD_THREAD_SOURCE = String.raw`
'use strict'
const { parentPort } = require('node:worker_threads')
const { closeSync, openSync, writeSync } = require('node:fs')
const { createHash } = require('node:crypto')
const files = new Map()

function fail(id, file, error) {
  if (file.error) return
  file.error = error
  parentPort.postMessage({ t: 'error', id, message: String(error && error.message || error), code: error && error.code })
}

function close(file) {
  if (file.fd < 0) return
  const fd = file.fd
  file.fd = -1
  closeSync(fd)
}

parentPort.on('message', (m) => {
  const file = files.get(m.id)
  if (m.t === 'open') {
    const opened = { fd: -1, hash: m.hash ? createHash('sha256') : undefined, error: undefined, ring: new Uint8Array(m.ring), block: m.block }
    files.set(m.id, opened)
    try {
      // wx: the name is fresh and random; never write through something already there
      opened.fd = openSync(m.path, 'wx', 0o600)
    } catch (error) {
      fail(m.id, opened, error)
    }
  } else if (m.t === 'data') {
    if (file && !file.error) {
      try {
        const start = m.slot * file.block
        const bytes = file.ring.subarray(start, start + m.len)
        if (file.hash) file.hash.update(bytes)
        for (let done = 0; done < m.len; ) done += writeSync(file.fd, bytes, done, m.len - done)
      } catch (error) {
        fail(m.id, file, error)
      }
    }
    parentPort.postMessage({ t: 'free', id: m.id, slot: m.slot })
  } else if (m.t === 'end' || m.t === 'abort') {
    files.delete(m.id)
    if (file) {
      try {
        close(file)
      } catch (error) {
        fail(m.id, file, error)
      }
    }
    if (m.t === 'end' && file && !file.error) parentPort.postMessage({ t: 'done', id: m.id, sha256: file.hash ? file.hash.digest('hex') : '' })
    else parentPort.postMessage({ t: 'closed', id: m.id })
  }
})
`
