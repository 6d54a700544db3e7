// Type tests for uploads: `fields` is typed from the multipart schema, `files` from the file
// specs (arrays for `many`, one file or undefined otherwise), `upload` only on raw upload routes.
import { byName, defineUnit, t, type UploadedFile } from 'trefoil'

const SubmissionFields = t.Object({ xml: t.String(), deviceId: t.Optional(t.String()) })

export default defineUnit('uploads', (r) => {
  r.post(
    '/:taskId/submissions',
    { multipart: { fields: SubmissionFields, files: { attachments: { many: 10, maxBytes: 20e6, types: ['image/jpeg', 'image/png'] }, cover: { required: true }, note: {} } } },
    ({ fields, files, params }) => {
      const xml: string = fields.xml
      const deviceId: string | undefined = fields.deviceId
      const taskId: string = params.taskId
      const attachments: UploadedFile[] = files.attachments
      const cover: UploadedFile = files.cover
      const note: UploadedFile | undefined = files.note
      const named: Record<string, UploadedFile> = byName(files.attachments)
      const hash: string = cover.sha256
      // @ts-expect-error not a declared text field
      void fields.title
      // @ts-expect-error a text field used as the wrong type
      const n: number = fields.xml
      // @ts-expect-error `many` gives an array, not one file
      const one: UploadedFile = files.attachments
      // @ts-expect-error an optional single file may be missing
      const sure: UploadedFile = files.note
      // @ts-expect-error not a declared file field
      void files.other
      void [xml, deviceId, taskId, attachments, cover, note, named, hash, n, one, sure]
      return { ok: true }
    },
  )

  r.post('/forms', { multipart: { files: { photo: { many: false } } } }, ({ fields, files }) => {
    // without a schema, text fields are the raw strings
    const raw: string | string[] | undefined = fields.anything
    const photo: UploadedFile | undefined = files.photo
    void [raw, photo]
  })

  r.put('/:id/file', { upload: { maxBytes: 2 ** 30, types: ['application/pdf'] } }, async ({ upload }) => {
    const path: string = await upload.saveTo('/srv/files')
    const size: number = upload.size
    void [path, size]
  })

  r.post('/both', { multipart: { files: { photo: {} } } }, (input) => {
    // @ts-expect-error multipart routes get no raw `upload`
    void input.upload
  })

  r.put('/raw', { upload: {} }, (input) => {
    // @ts-expect-error raw upload routes have no multipart files
    void input.files
    // @ts-expect-error nor text fields
    void input.fields
  })

  r.post('/plain', { body: SubmissionFields }, (input) => {
    // @ts-expect-error routes without multipart get no `files`
    void input.files
    // @ts-expect-error routes without upload get no `upload`
    void input.upload
  })
})
