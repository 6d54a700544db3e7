// The hashing thread's own code: it computes the SHA-256 of large uploads by reading back what
// the event loop has written, so the event loop neither hashes nor copies (SHA-256 alone was
// over a third of its CPU per uploaded byte; copying each byte into a buffer shared with a thread
// cost another sixth). The bytes come from the page cache, where they were written
// milliseconds before: one kernel copy, on this thread. It pays: with the same writes and the
// hash on the event loop instead, the 1 GiB bench gave 54% of its baseline (3.9 CPU s/GiB)
// against 99-104% (2.3-2.4) with this thread.
//
// It is a dedicated thread rather than a task of the worker pool: a file's hash is one state fed
// in order, which a pool of independent tasks cannot keep. The code is plain JavaScript run with
// `eval`, so it needs no loader and is the same from the sources and from dist.
//
// File descriptors belong to the process, so the thread reads through the event loop's own
// descriptor (opened read-write); the event loop closes it only after 'done' or 'closed'.
// Messages in:  { t: 'open', id, fd } · { t: 'written', id, upTo } (bytes [0, upTo) are on disk)
//               · { t: 'end', id, upTo } · { t: 'abort', id }
// Messages out: { t: 'hashed', id, upTo } · { t: 'error', id, message, code } (once, at the
//               first failure) · { t: 'done', id, sha256 } after 'end' · { t: 'closed', id }
//               after 'abort', or after 'end' of a failed file
export const UPLOAD_THREAD_SOURCE = String.raw`
'use strict'
const { parentPort } = require('node:worker_threads')
const { readSync } = require('node:fs')
const { createHash } = require('node:crypto')
const buffer = Buffer.allocUnsafe(1 << 20)
const files = new Map()

function hashUpTo(id, file, upTo) {
  if (file.error) return
  try {
    while (file.done < upTo) {
      const read = readSync(file.fd, buffer, 0, Math.min(buffer.length, upTo - file.done), file.done)
      if (read === 0) throw new Error('The upload file is shorter than what was written')
      file.hash.update(buffer.subarray(0, read))
      file.done += read
    }
  } catch (error) {
    file.error = error
    parentPort.postMessage({ t: 'error', id, message: String(error && error.message || error), code: error && error.code })
  }
}

parentPort.on('message', (m) => {
  if (m.t === 'open') {
    files.set(m.id, { fd: m.fd, hash: createHash('sha256'), done: 0, error: undefined })
    return
  }
  const file = files.get(m.id)
  // a file whose 'open' never came (it could not be created) is closed at once
  if (!file) {
    if (m.t !== 'written') parentPort.postMessage({ t: 'closed', id: m.id })
    return
  }
  if (m.t === 'written') {
    hashUpTo(m.id, file, m.upTo)
    if (!file.error) parentPort.postMessage({ t: 'hashed', id: m.id, upTo: file.done })
    return
  }
  files.delete(m.id)
  if (m.t === 'end') hashUpTo(m.id, file, m.upTo)
  if (m.t === 'end' && !file.error) parentPort.postMessage({ t: 'done', id: m.id, sha256: file.hash.digest('hex') })
  else parentPort.postMessage({ t: 'closed', id: m.id })
})
`
