// A project's instructions are Markdown written by its managers and read by every mapper: rendered
// on the server with raw HTML off (it shows as text), so no script or style can ride in them, and
// with markdown-it's link check, which refuses `javascript:`, `vbscript:`, `file:` and `data:` links.
import MarkdownIt from 'markdown-it'

const markdownIt = new MarkdownIt({ html: false, linkify: true, typographer: false })

/** Markdown as HTML safe to put in a page as is (instructions of a few KB: fast enough inline). */
export function renderMarkdown(text: string): string {
  return markdownIt.render(text)
}
