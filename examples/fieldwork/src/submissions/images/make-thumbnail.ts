// A worker task: a photo's thumbnail, as a JPEG that fits a square box, turned the way the photo
// was taken (phones store the pixels as the sensor read them, with an EXIF note saying how to
// turn them). sharp (libvips, a prebuilt binary from npm: nothing compiled or downloaded at
// install) decodes a JPEG straight at a fraction of its size, so a 12-megapixel photo costs tens
// of milliseconds here, where pure-JavaScript decoders took over a second per 3 megapixels.
// It runs on the worker pool so that the pool's size bounds how many cores photos take.
import sharp from 'sharp'
import type { TaskContext } from 'trefoil'
import { UNREADABLE_IMAGE, type ThumbnailInput, type ThumbnailOutput } from './types.js'

/** The most pixels a photo may have to get a thumbnail: phones' full-size photos are below 50 MP; past it decoding holds hundreds of MB. */
export const MAX_PIXELS = 50_000_000

/**
 * Past this libvips stops by itself: well inside the pool's timeout, so that the pool never has
 * to stop a thread while libvips is working in it.
 */
const SHARP_TIMEOUT_SECONDS = 20

// one core per worker, as the pool is sized (libvips would otherwise start a thread per core for
// every image); no cache of operations: each photo is shrunk once, then its thumbnail is stored
sharp.concurrency(1)
sharp.cache(false)

function unreadable(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code: UNREADABLE_IMAGE })
}

/** Makes the thumbnail of a JPEG or PNG photo (the worker task's entry); throws `unreadable_image` for bytes that are not one. */
export default async function makeThumbnail(input: ThumbnailInput, _ctx?: TaskContext): Promise<ThumbnailOutput> {
  const { bytes, mediaType, box } = input
  if (mediaType !== 'image/jpeg' && mediaType !== 'image/png') throw unreadable(`No thumbnail is made of ${mediaType} files`)
  try {
    const { data, info } = await sharp(bytes, { autoOrient: true, limitInputPixels: MAX_PIXELS, failOn: 'error' })
      .timeout({ seconds: SHARP_TIMEOUT_SECONDS })
      .resize(box, box, { fit: 'inside', withoutEnlargement: true })
      // transparency (a PNG's) on white: JPEG has none, and black would hide dark pixels
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 80 })
      .toBuffer({ resolveWithObject: true })
    return { bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height }
  } catch (error) {
    const kind = mediaType === 'image/jpeg' ? 'JPEG' : 'PNG'
    throw unreadable(`The ${kind} cannot be read: ${(error as Error).message ?? String(error)}`, error)
  }
}
