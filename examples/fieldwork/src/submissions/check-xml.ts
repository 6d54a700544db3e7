// Whether a submission's XML is well-formed (XML 1.0, checked by saxes, a conforming parser).
// Large documents are checked on the worker pool: about 12 µs per KiB here, so 1 MiB would hold
// the event loop for ~12 ms; small ones are checked in place, cheaper than a trip to a thread.
import { SaxesParser } from 'saxes'
import type { TaskContext } from 'trefoil'

/** Where and why a document is not well-formed. */
export interface XmlProblem {
  line: number
  column: number
  message: string
}

/** The first well-formedness error of `xml`, or null when it is well-formed. */
export default function checkXml(xml: string, _ctx?: TaskContext): XmlProblem | null {
  // namespaces are not checked: a well-formed form with an undeclared prefix is still data we keep
  const parser = new SaxesParser({ xmlns: false, position: true })
  let problem: XmlProblem | null = null
  parser.on('error', (error) => {
    // saxes keeps going after an error; the first one is what the sender needs to fix
    problem ??= { line: parser.line, column: parser.column, message: error.message.replace(/^\d+:\d+: /, '') }
  })
  parser.write(xml).close()
  return problem
}
