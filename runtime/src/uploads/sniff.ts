// Media types read from a file's first bytes (magic numbers), so an upload's type is what its
// bytes are, not what its name or header claim. A focused table rather than `file-type`: its
// current line needs Node 22 (we support 20), pulls four packages, and reads far more formats
// than an upload allow-list needs; these signatures are stable and each is tested.

/** Bytes to collect before deciding (enough for every signature and a fair text check). */
export const SNIFF_BYTES = 4096

interface Signature {
  readonly type: string
  readonly ext: string
  readonly test: (head: Buffer) => boolean
}

const at = (head: Buffer, offset: number, bytes: readonly number[] | string): boolean => {
  const expected = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes)
  return head.length >= offset + expected.length && head.subarray(offset, offset + expected.length).equals(expected)
}
const ftyp = (head: Buffer, brands: readonly string[]): boolean => at(head, 4, 'ftyp') && brands.includes(head.subarray(8, 12).toString('latin1'))

const SIGNATURES: readonly Signature[] = [
  { type: 'image/jpeg', ext: '.jpg', test: (h) => at(h, 0, [0xff, 0xd8, 0xff]) },
  { type: 'image/png', ext: '.png', test: (h) => at(h, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/gif', ext: '.gif', test: (h) => at(h, 0, 'GIF87a') || at(h, 0, 'GIF89a') },
  { type: 'image/webp', ext: '.webp', test: (h) => at(h, 0, 'RIFF') && at(h, 8, 'WEBP') },
  { type: 'image/tiff', ext: '.tif', test: (h) => at(h, 0, [0x49, 0x49, 0x2a, 0x00]) || at(h, 0, [0x4d, 0x4d, 0x00, 0x2a]) },
  { type: 'image/avif', ext: '.avif', test: (h) => ftyp(h, ['avif', 'avis']) },
  { type: 'image/heic', ext: '.heic', test: (h) => ftyp(h, ['heic', 'heix', 'heim', 'heis']) },
  { type: 'application/pdf', ext: '.pdf', test: (h) => at(h, 0, '%PDF-') },
  { type: 'application/zip', ext: '.zip', test: (h) => at(h, 0, [0x50, 0x4b, 0x03, 0x04]) || at(h, 0, [0x50, 0x4b, 0x05, 0x06]) },
  { type: 'application/gzip', ext: '.gz', test: (h) => at(h, 0, [0x1f, 0x8b, 0x08]) },
  { type: 'audio/mpeg', ext: '.mp3', test: (h) => at(h, 0, 'ID3') || (h.length >= 2 && h[0] === 0xff && (h[1]! & 0xe0) === 0xe0 && (h[1]! & 0x06) !== 0) },
  { type: 'audio/wav', ext: '.wav', test: (h) => at(h, 0, 'RIFF') && at(h, 8, 'WAVE') },
  { type: 'audio/ogg', ext: '.ogg', test: (h) => at(h, 0, 'OggS') },
  { type: 'video/webm', ext: '.webm', test: (h) => at(h, 0, [0x1a, 0x45, 0xdf, 0xa3]) },
  { type: 'video/quicktime', ext: '.mov', test: (h) => ftyp(h, ['qt  ']) },
  { type: 'video/mp4', ext: '.mp4', test: (h) => ftyp(h, ['isom', 'iso2', 'iso5', 'iso6', 'mp41', 'mp42', 'avc1', 'M4V ', 'dash']) },
]

// Formats with no signature: accepted when the head looks like text (no NUL byte, no binary
// signature). The declared type is kept for them, since the bytes cannot tell them apart.
const TEXT_TYPES: Readonly<Record<string, string>> = {
  'text/plain': '.txt',
  'text/csv': '.csv',
  'text/markdown': '.md',
  'application/json': '.json',
  'application/geo+json': '.geojson',
  'application/xml': '.xml',
  'text/xml': '.xml',
}

/** Every media type a route may list in `types`. */
export const SNIFFED_TYPES: readonly string[] = [...SIGNATURES.map((s) => s.type), ...Object.keys(TEXT_TYPES)]

/** What the bytes are: a known binary type, `text` (no signature, no NUL), or `binary` (unknown). */
export type Sniffed = { kind: 'type'; type: string; ext: string } | { kind: 'text' } | { kind: 'binary' }

/** Reads the type of a file from its first bytes (pass up to {@link SNIFF_BYTES}). */
export function sniff(head: Buffer): Sniffed {
  for (const signature of SIGNATURES) if (signature.test(head)) return { kind: 'type', type: signature.type, ext: signature.ext }
  return head.includes(0) ? { kind: 'binary' } : { kind: 'text' }
}

/** The lowercase media type of a header value, without parameters (`Image/PNG; x=1` → `image/png`). */
export function bareType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase()
}

/** Whether a route may list `type` (so a typo fails at start-up, not on the first upload). */
export function isKnownType(type: string): boolean {
  return SNIFFED_TYPES.includes(type)
}

/**
 * Decides an upload's media type and extension from its head and declared type against an
 * allow-list (undefined: anything). Returns undefined when the bytes are not allowed.
 */
export function decideType(head: Buffer, declared: string, allowed: readonly string[] | undefined): { type: string; ext: string } | undefined {
  const found = sniff(head)
  if (found.kind === 'type') return !allowed || allowed.includes(found.type) ? { type: found.type, ext: found.ext } : undefined
  if (found.kind === 'text') {
    const textType = TEXT_TYPES[declared] !== undefined ? declared : 'text/plain'
    if (allowed && !allowed.includes(textType)) return undefined
    return { type: textType, ext: TEXT_TYPES[textType] ?? '' }
  }
  return allowed ? undefined : { type: 'application/octet-stream', ext: '' }
}

/** Whether a declared (header) type is already refused by the allow-list, before any byte. */
export function declaredRefused(declared: string, allowed: readonly string[] | undefined): boolean {
  // generic or absent types say nothing: the bytes decide
  if (!allowed || declared === '' || declared === 'application/octet-stream' || declared === 'binary/octet-stream') return false
  const alias = declared === 'image/jpg' || declared === 'image/pjpeg' ? 'image/jpeg' : declared === 'audio/x-wav' || declared === 'audio/wave' ? 'audio/wav' : declared
  return !allowed.includes(alias)
}
