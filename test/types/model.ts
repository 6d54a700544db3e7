// Type tests of models with computed fields and serializers: handlers return the value the model
// takes (a Date for a serialized date, no computed fields); clients read what is sent.
import { client, defineUnit, model, t, type App } from 'trefoil'

const SurveyOut = model(t.Object({ id: t.Integer(), startsOn: t.String() }), {
  serializers: { startsOn: (date: Date) => date.toDateString() },
  computed: { label: { schema: t.String(), get: (survey) => `#${survey.id} from ${survey.startsOn.getUTCFullYear()}` } },
})

const surveys = defineUnit('surveys', (r) => [
  r.get('/survey', { response: SurveyOut }, () => ({ id: 1, startsOn: new Date() })),
  // @ts-expect-error the serialized field takes a Date, not the string it becomes
  r.get('/survey-string', { response: SurveyOut }, () => ({ id: 1, startsOn: 'Monday' })),
  r.get('/surveys', { response: t.Array(SurveyOut) }, () => [{ id: 1, startsOn: new Date() }]),
])

// @ts-expect-error a computed field whose get answers another type than its schema
model(t.Object({ id: t.Integer() }), { computed: { half: { schema: t.String(), get: (v) => v.id / 2 } } })
// @ts-expect-error a serializer that answers another type than its field's schema
model(t.Object({ at: t.String() }), { serializers: { at: (date: Date) => date.getTime() } })

declare const app: App
export async function reads(): Promise<void> {
  const api = client<typeof surveys>(app)
  const survey = (await api.get('/survey')).expect(200)
  survey.startsOn satisfies string
  survey.label satisfies string
  const first = (await api.get('/surveys')).expect(200)[0]
  first?.label satisfies string | undefined
  // @ts-expect-error what is sent has no Date
  survey.startsOn satisfies Date
}
