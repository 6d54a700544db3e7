// File uploads: what a route declares (a multipart body of text fields and files, or a raw body
// PUT as one file) and what its handler receives. Files stream to a per-request temp folder in
// chunks; the client's file name never picks a path. This is the capability's public module: the
// request core reads bodies through the functions below, the rest of the runtime names the types.
import type { UploadedFile } from './types.js'

export type { FileFieldSpec, MultipartSpec, UploadSpec, SaveOptions, UploadedFile, UploadedFiles, MultipartFields, UploadInput } from './types.js'
/** Media types whose signatures trefoil recognises; a `types` entry outside this list fails at start-up. */
export { SNIFFED_TYPES } from './sniff.js'
export { compileMultipart, readMultipart, DEFAULT_FILE_BYTES, DEFAULT_MANY } from './multipart.js'
export { compileUpload, readUpload } from './raw.js'
export { defaultTempDir, type TempCleanup } from './file.js'

/**
 * The guide's `{ filename: file }` view of uploaded files: keyed by original name, with clashes
 * made unique (`photo.jpg`, `photo (2).jpg`). The object has no prototype, so a file named
 * `__proto__` is just a key.
 * @example for (const [name, file] of Object.entries(byName(files.attachments))) log(name, file.size)
 */
export function byName(files: Iterable<UploadedFile | undefined> | Readonly<Record<string, UploadedFile | readonly UploadedFile[] | undefined>>): Record<string, UploadedFile> {
  const list: UploadedFile[] = []
  const add = (value: UploadedFile | readonly UploadedFile[] | undefined): void => {
    if (value === undefined) return
    if (Array.isArray(value)) list.push(...(value as readonly UploadedFile[]))
    else list.push(value as UploadedFile)
  }
  if (Symbol.iterator in files) for (const one of files as Iterable<UploadedFile | undefined>) add(one)
  else for (const value of Object.values(files)) add(value)
  const result = Object.create(null) as Record<string, UploadedFile>
  for (const file of list) {
    let name = file.originalName
    if (name in result) {
      const dot = name.lastIndexOf('.')
      const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, '']
      let n = 2
      while (`${stem} (${n})${ext}` in result) n++
      name = `${stem} (${n})${ext}`
    }
    result[name] = file
  }
  return result
}
