// What the thumbnail task and its callers share, in a module of its own: the main thread then
// imports nothing of the task, and the worker nothing of the storage.

/** What the thumbnail task is given: the photo's bytes (moved to the worker, not copied), its type and the box. */
export interface ThumbnailInput {
  bytes: Uint8Array
  mediaType: string
  /** Width and height of the square the thumbnail fits in, in pixels. */
  box: number
}

/** A thumbnail: JPEG bytes and its size in pixels. */
export interface ThumbnailOutput {
  bytes: Uint8Array
  width: number
  height: number
}

/** The `code` of the task's error for bytes that are not a picture it can read (damaged, or too many megapixels). */
export const UNREADABLE_IMAGE = 'unreadable_image'
