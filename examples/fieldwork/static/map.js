// The pages' maps (Leaflet, served by the app). An element with [data-map] becomes a map of:
//   data-area     a project's area (GeoJSON geometry or Feature), drawn as an outline;
//   data-tasks    the URL of its tasks as GeoJSON: each task coloured by state, a click opens it
//                 (data-task-url + its number); the map reloads them on `refresh` (app.js fires it
//                 after a task changes);
//   data-focus    the number of the task to show (the task page): the map fits it and marks it;
//   data-preview  the selector of a textarea holding GeoJSON (the new-project form): the map
//                 shows what it holds as it changes, and its draw button writes a polygon into it.
// The basemap comes from <meta name="map-tiles">; without it, or offline, the layers draw on a
// blank background.
/* global L */
'use strict'

const STATE_COLOURS = {
  ready: '#e9ecef',
  locked_for_mapping: '#ffc107',
  mapped: '#4dabf7',
  locked_for_validation: '#9775fa',
  validated: '#40c057',
  invalidated: '#fa5252',
}

function words(identifier) {
  return identifier.replaceAll('_', ' ')
}

function meta(name) {
  const element = document.querySelector(`meta[name="${name}"]`)
  return element ? element.content : ''
}

function baseMap(element) {
  const map = L.map(element, { zoomSnap: 0.25 })
  const tiles = meta('map-tiles')
  if (tiles) L.tileLayer(tiles, { attribution: meta('map-attribution'), maxZoom: 19 }).addTo(map)
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>')
  map.setView([0, 0], 2)
  return map
}

function fit(map, bounds) {
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], maxZoom: 18 })
}

// the area as an outline that clicks pass through (to the tasks under it)
function areaLayer(geojson) {
  return L.geoJSON(geojson, { interactive: false, style: { className: 'map-area', color: '#1c7ed6', weight: 3, fill: true, fillOpacity: 0.05 } })
}

function taskLayer(collection, options) {
  return L.geoJSON(collection, {
    style: (feature) => {
      const focused = String(feature.id) === options.focus
      return {
        className: `map-task s-${feature.properties.status}${focused ? ' focus' : ''}`,
        color: focused ? '#000' : '#495057',
        weight: focused ? 4 : 1,
        fillColor: STATE_COLOURS[feature.properties.status] || '#ccc',
        fillOpacity: focused ? 0.7 : 0.55,
      }
    },
    onEachFeature: (feature, layer) => {
      const holder = feature.properties.lockedBy ? ` (${feature.properties.lockedBy.name})` : ''
      const label = `Task ${feature.id}: ${words(feature.properties.status)}${holder}`
      layer.bindTooltip(label, { sticky: true })
      layer.on('add', () => {
        const path = layer.getElement()
        path.dataset.task = String(feature.id)
        path.dataset.status = feature.properties.status
        path.setAttribute('aria-label', label)
      })
      if (options.taskUrl) layer.on('click', () => window.location.assign(options.taskUrl + feature.id))
    },
  })
}

async function loadTasks(element, map, state) {
  const answer = await fetch(element.dataset.tasks, { headers: { accept: 'application/geo+json' }, credentials: 'same-origin' })
  if (!answer.ok) return
  const collection = await answer.json()
  const layer = taskLayer(collection, { taskUrl: element.dataset.taskUrl, focus: element.dataset.focus })
  if (state.tasks) state.tasks.remove()
  state.tasks = layer.addTo(map)
  if (state.area) state.area.bringToFront()
  element.dataset.tasksLoaded = String(collection.features.length)
  if (!state.fitted) {
    const focus = layer.getLayers().find((task) => String(task.feature.id) === element.dataset.focus)
    fit(map, focus ? focus.getBounds().pad(1.5) : layer.getBounds())
    state.fitted = collection.features.length > 0
  }
}

function parsed(text) {
  try {
    const value = JSON.parse(text)
    return value && typeof value === 'object' ? value : null
  } catch {
    return null
  }
}

// the textarea's GeoJSON on the map as it is typed, pasted, loaded from a file or drawn
function preview(element, map, state) {
  const field = document.querySelector(element.dataset.preview)
  if (!field) return
  const show = () => {
    if (state.area) state.area.remove()
    state.area = null
    const value = parsed(field.value)
    if (!value) return
    try {
      state.area = areaLayer(value).addTo(map)
      fit(map, state.area.getBounds())
    } catch {
      state.area = null // not GeoJSON Leaflet can draw: the server's 422 says why
    }
  }
  field.addEventListener('input', show)
  field.addEventListener('change', show)
  show()
  drawTool(element, map, field, show)
}

// A polygon drawn by clicking its corners: "Draw" starts, each click adds a corner, "Finish" (or
// a click on the first corner) closes it and writes it into the field as a GeoJSON Polygon.
function drawTool(element, map, field, show) {
  const bar = document.createElement('div')
  bar.className = 'map-draw'
  const start = button('Draw the area on the map', 'draw-start')
  const finish = button('Finish the polygon', 'draw-finish')
  const cancel = button('Cancel', 'draw-cancel')
  const hint = document.createElement('span')
  hint.className = 'hint'
  bar.append(start, finish, cancel, hint)
  element.after(bar)
  let corners = null
  let line = null
  const setMode = (drawing) => {
    start.hidden = drawing
    finish.hidden = !drawing
    cancel.hidden = !drawing
    element.classList.toggle('drawing', drawing)
    hint.textContent = drawing ? 'Click each corner of the area; finish with the button or a click on the first corner.' : ''
  }
  const stop = () => {
    corners = null
    if (line) line.remove()
    line = null
    setMode(false)
  }
  start.addEventListener('click', () => {
    corners = []
    line = L.polyline([], { className: 'map-drawing', color: '#e8590c', weight: 3, dashArray: '6 4' }).addTo(map)
    setMode(true)
  })
  cancel.addEventListener('click', stop)
  const close = () => {
    if (!corners || corners.length < 3) {
      hint.textContent = 'An area needs at least three corners.'
      return
    }
    const ring = corners.map((c) => [round(c.lng), round(c.lat)])
    ring.push(ring[0])
    field.value = JSON.stringify({ type: 'Polygon', coordinates: [ring] })
    stop()
    show()
    field.dispatchEvent(new Event('change', { bubbles: true }))
  }
  finish.addEventListener('click', close)
  map.on('click', (event) => {
    if (!corners) return
    const first = corners[0]
    if (first && corners.length >= 3 && map.latLngToContainerPoint(first).distanceTo(event.containerPoint) < 10) return close()
    corners.push(event.latlng)
    line.setLatLngs(corners)
  })
  setMode(false)
}

function button(text, name) {
  const element = document.createElement('button')
  element.type = 'button'
  element.textContent = text
  element.dataset.action = name
  return element
}

function round(value) {
  return Math.round(value * 1e6) / 1e6
}

function initMap(element) {
  if (element.dataset.mapReady) return
  element.dataset.mapReady = 'true'
  const map = baseMap(element)
  const state = { area: null, tasks: null, fitted: false }
  if (element.dataset.area) {
    state.area = areaLayer(JSON.parse(element.dataset.area)).addTo(map)
    fit(map, state.area.getBounds())
  }
  if (element.dataset.preview) preview(element, map, state)
  if (element.dataset.tasks) {
    loadTasks(element, map, state)
    element.addEventListener('refresh', () => loadTasks(element, map, state))
  }
}

function initMaps(root) {
  if (typeof L === 'undefined') return
  if (root.matches && root.matches('[data-map]')) initMap(root)
  for (const element of root.querySelectorAll('[data-map]')) initMap(element)
}

document.addEventListener('DOMContentLoaded', () => initMaps(document))
document.addEventListener('htmx:load', (event) => initMaps(event.target))

// the task grid's legend reloads after every change to a task (and once a split is done): the
// maps on the page reload their tasks with it
document.addEventListener('htmx:load', (event) => {
  const target = event.target
  if (!(target instanceof Element) || !(target.matches('#task-grid') || target.querySelector('#task-grid'))) return
  for (const element of document.querySelectorAll('[data-map][data-tasks]')) element.dispatchEvent(new Event('refresh'))
})
