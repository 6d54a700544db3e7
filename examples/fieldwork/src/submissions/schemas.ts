// Shapes of the submissions unit: what the field sends (form fields + files) and what clients see.
import { named, t, type Static } from 'trefoil'

/** The text fields of a submission (the guide's `submission_xml` and `device_id`). */
export const SubmissionFields = named(
  'SubmissionFields',
  t.Object({
    xml: t.String({ minLength: 1, maxLength: 1_000_000, description: 'The filled-in form, as ODK Collect sends it' }),
    deviceId: t.Optional(t.String({ maxLength: 128, pattern: '^[\\w.:-]*$', description: 'The device that collected it (empty: unknown)' })),
  }),
)
export type SubmissionFields = Static<typeof SubmissionFields>

/** The media types attachments may have (read from their bytes, not their names). */
export const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'audio/mpeg', 'audio/ogg', 'video/mp4', 'application/pdf'] as const

/** Most attachments in one submission. */
export const MAX_ATTACHMENTS = 10
/** The largest attachment, in bytes (a phone's photo or a short recording). */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

/** A file of a submission as clients see it; `url` downloads it. */
export const AttachmentOut = named(
  'AttachmentOut',
  t.Object({ id: t.Integer(), filename: t.String(), mediaType: t.String(), size: t.Integer(), sha256: t.String(), url: t.String() }),
)

/** A submission as clients see it. */
export const SubmissionOut = named(
  'SubmissionOut',
  t.Object({
    id: t.Integer(),
    taskId: t.Integer(),
    user: t.Object({ id: t.Integer(), name: t.String() }),
    deviceId: t.Union([t.String(), t.Null()]),
    xml: t.String(),
    createdAt: t.String({ format: 'date-time' }),
    attachments: t.Array(AttachmentOut),
  }),
)
export type SubmissionOut = Static<typeof SubmissionOut>

/** Path params naming one submission. */
export const SubmissionParams = t.Object({ projectId: t.Integer({ minimum: 1 }), taskId: t.Integer({ minimum: 1 }), submissionId: t.Integer({ minimum: 1 }) })

/** Path params naming one attachment. */
export const AttachmentParams = t.Object({ projectId: t.Integer({ minimum: 1 }), taskId: t.Integer({ minimum: 1 }), submissionId: t.Integer({ minimum: 1 }), attachmentId: t.Integer({ minimum: 1 }) })
