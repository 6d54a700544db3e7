// A submission's answers read out of its XML, as a person reads a form: each element holding text
// (its path under the root, like `clinic/name`) and that text, in document order.
import { SaxesParser } from 'saxes'

/** One answer of a form. */
export interface FormField {
  name: string
  value: string
}

// past this many characters the list would be a wall, and reading it costs the event loop: the
// page shows the XML itself instead
const MAX_LISTED = 64 * 1024
const MAX_FIELDS = 500

/** The answers of a well-formed submission, or null when it is too large to list. */
export function formFields(xml: string): FormField[] | null {
  if (xml.length > MAX_LISTED) return null
  const parser = new SaxesParser({ xmlns: false })
  const path: string[] = []
  const text: string[] = []
  const fields: FormField[] = []
  parser.on('opentag', (tag) => {
    path.push(tag.name)
    text.push('')
  })
  parser.on('text', (value) => {
    if (text.length > 0) text[text.length - 1] += value
  })
  parser.on('cdata', (value) => {
    if (text.length > 0) text[text.length - 1] += value
  })
  parser.on('closetag', () => {
    const value = (text.pop() ?? '').trim()
    // leaves under the root: the root itself is the form, not an answer
    if (value !== '' && path.length > 1 && fields.length < MAX_FIELDS) fields.push({ name: path.slice(1).join('/'), value })
    path.pop()
  })
  parser.on('error', () => undefined)
  parser.write(xml).close()
  return fields
}
