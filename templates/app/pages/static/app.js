// The pages' script. Forms go to the API as JSON, each field typed as the API's schema wants it
// (data-kind), so a page and an API client send the same body to the same route. An error answer
// (the runtime's fragment) is shown in the box the form names in data-errors, and a 422 marks
// each field it names, with its message beside it. Reading the pages needs none of this.
/* global htmx */
'use strict'

// one field's value in the JSON body: a number as a number, a checkbox as true or false, a
// date-time (typed in UTC) as an instant, an empty optional field as null; anything a number
// cannot be made of is sent as typed, for the API's 422 to name
function jsonValue(field) {
  const kind = field.dataset.kind
  if (kind === 'boolean') return field.checked
  const text = field.value
  if (text.trim() === '') return 'nullable' in field.dataset ? null : text
  if (kind === 'integer' || kind === 'number') return Number.isNaN(Number(text)) ? text : Number(text)
  if (kind === 'datetime') {
    const instant = new Date(`${text}Z`)
    return Number.isNaN(instant.getTime()) ? text : instant.toISOString()
  }
  return text
}

htmx.defineExtension('json-form', {
  onEvent(name, event) {
    if (name === 'htmx:configRequest' && event.detail.verb !== 'get' && event.detail.verb !== 'delete') event.detail.headers['Content-Type'] = 'application/json'
  },
  encodeParameters(xhr, parameters, elt) {
    xhr.overrideMimeType('text/json')
    const form = elt instanceof HTMLFormElement ? elt : elt.form
    const body = {}
    if (form) {
      // the form's own controls, so that an unchecked box is sent as false
      for (const field of form.elements) if (field.name && !field.disabled && field.dataset.kind) body[field.name] = jsonValue(field)
    } else {
      parameters.forEach((value, key) => (body[key] = value))
    }
    return JSON.stringify(body)
  },
})

function errorBox(elt) {
  const holder = elt.closest('[data-errors]')
  return holder ? document.querySelector(holder.dataset.errors) : null
}

// htmx leaves error answers unswapped: put the fragment in the form's error box instead
document.addEventListener('htmx:beforeSwap', (event) => {
  if (event.detail.xhr.status < 400) return
  const box = errorBox(event.detail.requestConfig.elt)
  if (!box) return
  event.detail.shouldSwap = true
  event.detail.isError = false
  event.detail.target = box
  event.detail.swapOverride = 'innerHTML'
})

function markField(field, message) {
  field.setAttribute('aria-invalid', 'true')
  const id = `${field.id || field.name}-problem`
  let note = document.getElementById(id)
  if (!note) {
    note = document.createElement('span')
    note.id = id
    note.className = 'field-problem'
    field.after(note)
  }
  note.textContent = note.textContent ? `${note.textContent}; ${message}` : message
  field.setAttribute('aria-describedby', id)
}

function clearMarks(form) {
  for (const field of form.querySelectorAll('[aria-invalid]')) {
    field.removeAttribute('aria-invalid')
    field.removeAttribute('aria-describedby')
  }
  for (const note of form.querySelectorAll('.field-problem')) note.remove()
}

document.addEventListener('htmx:beforeRequest', (event) => {
  const elt = event.detail.elt
  const form = elt instanceof HTMLFormElement ? elt : elt.form
  if (form) clearMarks(form)
  const box = errorBox(elt)
  if (box) box.replaceChildren()
})

// a 422 names each bad field (`data-loc="body.title"`): the field of that name is marked, and
// its message (without the name the label already shows) stands beside it
document.addEventListener('htmx:afterSwap', (event) => {
  const config = event.detail.requestConfig
  if (!config || event.detail.xhr.status !== 422) return
  const form = config.elt instanceof HTMLFormElement ? config.elt : config.elt.form
  if (!form) return
  for (const issue of event.detail.target.querySelectorAll('li[data-loc]')) {
    const [where, name] = issue.dataset.loc.split('.')
    const field = where === 'body' && name ? form.elements.namedItem(name) : null
    if (field instanceof Element) markField(field, issue.textContent.replace(`${name}: `, ''))
  }
  const first = form.querySelector('[aria-invalid="true"]')
  if (first) first.focus()
})
