// The example's settings: read from the environment and .env once, at start-up.
import { defineSettings, t } from 'trefoil'

/** Validated, frozen settings of the fieldwork app. */
export const settings = defineSettings(
  t.Object({
    PORT: t.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
    HOST: t.String({ default: '127.0.0.1' }),
  }),
)
