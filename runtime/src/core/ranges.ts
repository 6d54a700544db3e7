// Byte ranges of RFC 9110 for resumable downloads: the one `Range` header a download honours, and
// `If-Range`, which says whether the client's partial copy is still the current one. Shared by
// files on disk (`file()`) and stored objects (`storedFile()`).

/** Bytes `start` to `end`, both included. */
export interface ByteRange {
  start: number
  end: number
}

/** If-Range: serve the range only if the client's copy is still this one; else the whole file. */
export function rangeStillValid(ifRange: string, etag: string, mtime: Date): boolean {
  if (ifRange === '') return true
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) return ifRange === etag
  const since = Date.parse(ifRange)
  return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since
}

/**
 * One `bytes=` range of RFC 9110: `a-b`, `a-` or `-n`. Several ranges, other units or a
 * malformed header read as no range (the whole file, as the RFC allows).
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match || (match[1] === '' && match[2] === '')) return undefined
  if (match[1] === '') {
    const suffix = Number(match[2])
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(match[1])
  const end = match[2] === '' ? Infinity : Number(match[2])
  if (end < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: Math.min(end, size - 1) }
}
