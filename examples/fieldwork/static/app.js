// The pages' script. Forms go to the API as JSON, typed like its bodies (number inputs as numbers,
// [data-json] fields parsed), so the pages and the API share one schema per route. A 4xx answer
// (the server's error fragment) is shown in the element the form or button names in data-errors.
// Also: upload progress ([data-progress]), refreshing a part of the page after a change
// ([data-refresh]) and `{field}` placeholders in request paths. Reading needs none of it.
/* global htmx */
'use strict'

function typedValue(field, value) {
  if (typeof value !== 'string' || !field) return value
  if (field.type === 'number') return value.trim() === '' ? undefined : Number.isNaN(Number(value)) ? value : Number(value)
  if (field.dataset && 'json' in field.dataset) {
    if (value.trim() === '') return undefined
    try {
      return JSON.parse(value)
    } catch {
      return value // the server's 422 says what is wrong with it
    }
  }
  return value
}

// forms with files stay multipart (the browser streams them); everything else becomes JSON
function multipart(elt) {
  const holder = elt.closest('[hx-encoding]')
  return holder !== null && holder.getAttribute('hx-encoding') === 'multipart/form-data'
}

htmx.defineExtension('json-form', {
  onEvent(name, event) {
    if (name !== 'htmx:configRequest' || multipart(event.detail.elt)) return
    if (event.detail.verb !== 'get' && event.detail.verb !== 'delete') event.detail.headers['Content-Type'] = 'application/json'
  },
  encodeParameters(xhr, parameters, elt) {
    if (multipart(elt)) return null
    xhr.overrideMimeType('text/json')
    const form = elt instanceof HTMLFormElement ? elt : elt.form
    const body = {}
    parameters.forEach((value, key) => {
      const typed = typedValue(form ? form.elements.namedItem(key) : null, value)
      if (typed !== undefined) body[key] = typed
    })
    return JSON.stringify(body)
  },
})

function errorBox(elt) {
  const holder = elt.closest('[data-errors]')
  return holder ? document.querySelector(holder.dataset.errors) : null
}

// htmx leaves 4xx answers unswapped: put the fragment next to the form instead
document.addEventListener('htmx:beforeSwap', (event) => {
  const status = event.detail.xhr.status
  if (status < 400) return
  const box = errorBox(event.detail.requestConfig.elt)
  if (!box) return
  event.detail.shouldSwap = true
  event.detail.isError = false
  event.detail.target = box
  event.detail.swapOverride = 'innerHTML'
})

document.addEventListener('htmx:afterRequest', (event) => {
  const { elt, xhr } = event.detail
  if (!xhr || xhr.status >= 400) return
  const box = errorBox(elt)
  if (box) box.replaceChildren()
  if (elt instanceof HTMLFormElement && 'reset' in elt.dataset) elt.reset()
})

// a form's upload progress in the <progress> it names (htmx relays the XHR's upload events)
function progressBar(elt) {
  const holder = elt.closest('[data-progress]')
  return holder ? document.querySelector(holder.dataset.progress) : null
}

document.addEventListener('htmx:beforeRequest', (event) => {
  const bar = progressBar(event.detail.elt)
  if (!bar) return
  bar.value = 0
  bar.hidden = false
  delete bar.dataset.done
})

document.addEventListener('htmx:xhr:progress', (event) => {
  const bar = progressBar(event.target)
  // the response's download reports too; only the upload's bytes move the bar before it is done
  if (bar && event.detail.lengthComputable && event.detail.total > 0 && bar.dataset.done === undefined) {
    bar.value = Math.min(100, Math.round((event.detail.loaded / event.detail.total) * 100))
  }
})

document.addEventListener('htmx:afterRequest', (event) => {
  // the element that asked: when the answer replaced it, htmx tells its surviving parent instead,
  // and `detail.elt` names that parent
  const elt = event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt
  const xhr = event.detail.xhr
  const bar = progressBar(elt)
  if (bar) {
    bar.value = xhr && xhr.status < 400 ? 100 : 0
    bar.dataset.done = xhr && xhr.status < 400 ? 'ok' : 'failed'
  }
  // [data-refresh="#task-grid"]: after a change succeeds, what shows it elsewhere reloads itself;
  // after a 409 too, for the change was someone else's (a task locked meanwhile)
  const refresher = elt.closest('[data-refresh]')
  if (refresher && xhr && (xhr.status < 400 || xhr.status === 409)) {
    for (const target of document.querySelectorAll(refresher.dataset.refresh)) htmx.trigger(target, 'refresh')
  }
  // a 409 says the page is out of date: what the request would have replaced is read again from
  // its [data-current] address, so that it shows the state it is in now, and only the buttons
  // that still apply
  const targetSelector = elt.getAttribute('hx-target')
  const stale = xhr && xhr.status === 409 && targetSelector ? document.querySelector(targetSelector) : null
  if (stale && stale.id && stale.dataset.current) {
    htmx.ajax('GET', stale.dataset.current, { target: stale, swap: 'outerHTML', select: `#${stale.id}` })
  }
})

// the task grid (re)loads once a split is done and after every change to a task: what sums the
// tasks up elsewhere on the page ([data-follows-tasks]: the progress) reloads with it
document.addEventListener('htmx:load', (event) => {
  const target = event.target
  if (!(target instanceof Element) || !(target.matches('#task-grid') || target.querySelector('#task-grid'))) return
  for (const element of document.querySelectorAll('[data-follows-tasks]')) htmx.trigger(element, 'refresh')
})

// hx-put="/v1/projects/1/members/{userId}": the path takes the form's field of that name
document.addEventListener('htmx:configRequest', (event) => {
  if (!event.detail.path.includes('{')) return
  event.detail.path = event.detail.path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(event.detail.parameters[name] ?? '')))
})

// with scripts running, the pages show the maps instead of what stands in for them (.no-js-only)
document.documentElement.classList.add('js')

// <input type="file" data-load-into="#field">: the chosen file's text goes into that field (a
// .geojson area), which then shows on its map and is sent with the form as if pasted
const MAX_LOADED_BYTES = 5 * 1024 * 1024
document.addEventListener('change', async (event) => {
  const input = event.target
  if (!(input instanceof HTMLInputElement) || !input.dataset.loadInto || !input.files || input.files.length === 0) return
  const field = document.querySelector(input.dataset.loadInto)
  if (!field) return
  const chosen = input.files[0]
  if (chosen.size > MAX_LOADED_BYTES) {
    markField(field, `${chosen.name} is ${Math.ceil(chosen.size / 1048576)} MiB: an area file may have 5 MiB at most`)
    return
  }
  field.value = await chosen.text()
  clearMarks(field.form)
  field.dispatchEvent(new Event('input', { bubbles: true }))
})

// A 422 names each bad field (`data-loc="body.area.coordinates.0"`): the field of that name in
// the form that was sent is marked (aria-invalid) with the message next to it, and unmarked at
// its next sending.
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
  if (!form) return
  for (const field of form.querySelectorAll('[aria-invalid]')) {
    field.removeAttribute('aria-invalid')
    field.removeAttribute('aria-describedby')
  }
  for (const note of form.querySelectorAll('.field-problem')) note.remove()
}

document.addEventListener('htmx:beforeRequest', (event) => {
  const elt = event.detail.elt
  clearMarks(elt instanceof HTMLFormElement ? elt : elt.form)
})

document.addEventListener('htmx:afterSwap', (event) => {
  const config = event.detail.requestConfig
  if (!config || event.detail.xhr.status !== 422) return
  const form = config.elt instanceof HTMLFormElement ? config.elt : config.elt.form
  if (!form) return
  for (const issue of event.detail.target.querySelectorAll('li[data-loc]')) {
    const [where, name] = issue.dataset.loc.split('.')
    const field = where === 'body' && name ? form.elements.namedItem(name) : null
    if (field instanceof Element) markField(field, issue.textContent)
  }
  const first = form.querySelector('[aria-invalid="true"]')
  if (first) first.focus()
})

// <a data-back>: back to the page before (an error page's way out); without a page before, or
// without scripts, the link's own address
document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[data-back]') : null
  if (!link || window.history.length < 2) return
  event.preventDefault()
  window.history.back()
})

// <fieldset data-xml-builder="submission_xml">: its rows of field name and answer become the form
// data as XML (`clinic/name` = Amana gives <data><clinic><name>Amana</name></clinic></data>), sent
// in place of the rows, so that nobody types XML; an open <details data-xml-typed> next to it
// sends what was typed there instead
function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function answersXml(pairs) {
  const root = { children: [] }
  for (const [path, value] of pairs) {
    const names = path.split('/')
    let node = root
    names.slice(0, -1).forEach((name) => {
      let group = node.children.find((child) => child.name === name && child.children)
      if (!group) node.children.push((group = { name, children: [] }))
      node = group
    })
    node.children.push({ name: names[names.length - 1], value })
  }
  const write = (node) => (node.children ? `<${node.name}>${node.children.map(write).join('')}</${node.name}>` : `<${node.name}>${escapeXml(node.value)}</${node.name}>`)
  return write({ name: 'data', children: root.children })
}

document.addEventListener('htmx:configRequest', (event) => {
  const form = event.detail.elt
  const builder = form instanceof HTMLFormElement ? form.querySelector('[data-xml-builder]') : null
  if (!builder) return
  const parameters = event.detail.parameters
  const typed = form.querySelector('details[data-xml-typed]')
  const names = parameters.getAll('answer_name')
  const values = parameters.getAll('answer_value')
  parameters.delete('answer_name')
  parameters.delete('answer_value')
  if (typed && typed.open) return
  // an answer typed without its field's name would be lost: refused on that field instead
  for (const row of builder.querySelectorAll('.answer')) {
    const [nameInput, valueInput] = row.querySelectorAll('input')
    if (nameInput && valueInput && nameInput.value.trim() === '' && valueInput.value.trim() !== '') {
      nameInput.setCustomValidity('Name the field this answer is for, e.g. clinic/name')
      nameInput.reportValidity()
      event.preventDefault()
      return
    }
  }
  const pairs = names.map((name, i) => [String(name).trim(), String(values[i] ?? '')]).filter(([name]) => name !== '')
  parameters.set(builder.dataset.xmlBuilder, answersXml(pairs))
})

// a field name given clears the refusal above
document.addEventListener('input', (event) => {
  const input = event.target
  if (input instanceof HTMLInputElement && input.name === 'answer_name') input.setCustomValidity('')
})

// a button [data-action="add-answer"] adds an empty row to its answers (a copy of the first one)
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-action="add-answer"]') : null
  if (!button) return
  const rows = button.closest('[data-xml-builder]').querySelectorAll('.answer')
  const row = rows[0].cloneNode(true)
  row.querySelectorAll('input').forEach((input) => {
    input.value = ''
    input.removeAttribute('value')
  })
  rows[rows.length - 1].after(row)
  row.querySelector('input').focus()
})

// <img data-fallback="…">: when the image cannot be had (a photo no thumbnail can be made of), the
// fallback's address once instead. Errors of images do not bubble: listened for on the way down.
document.addEventListener(
  'error',
  (event) => {
    const img = event.target
    if (!(img instanceof HTMLImageElement) || !img.dataset.fallback) return
    const fallback = img.dataset.fallback
    delete img.dataset.fallback
    img.src = fallback
  },
  true,
)
