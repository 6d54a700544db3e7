// The example's settings: read from the environment and .env once, at start-up (see .env.example).
import { defineSettings, SettingsError, STORAGE_SETTINGS, t } from 'trefoil'

/**
 * The signing key `npm start` uses when `SECRET_KEY` is not set, so the example runs with nothing
 * configured. Everyone can read it here: it is refused when `NODE_ENV` is `production`.
 */
export const DEVELOPMENT_SECRET_KEY = 'development-only-key-of-the-fieldwork-example-never-use-in-production'

/** Validated, frozen settings of the fieldwork app. */
export const settings = defineSettings(
  t.Object({
    NODE_ENV: t.String({ default: 'development' }),
    PORT: t.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
    HOST: t.String({ default: '127.0.0.1' }),
    /** Signs session and API tokens (HS256): at least 32 characters. */
    SECRET_KEY: t.String({ minLength: 32, default: DEVELOPMENT_SECRET_KEY }),
    /** Lifetime of a token, in seconds (default 8 hours: a day in the field). */
    TOKEN_TTL_SECONDS: t.Integer({ minimum: 60, default: 8 * 3600 }),
    /** Where local state lives: the embedded database (`pgdata/`) and uploaded files (`uploads/`). */
    DATA_DIR: t.String({ minLength: 1, default: '.trefoil' }),
    /** An external PostgreSQL; unset, the app runs an embedded one in `DATA_DIR`. */
    DATABASE_URL: t.Optional(t.String({ minLength: 1 })),
    /** Threads of the worker pool (default: cores − 1, at least 1, shared out among the processes of `trefoil serve --workers N`). */
    WORKER_THREADS: t.Optional(t.Integer({ minimum: 1, maximum: 64 })),
    /** The maps' basemap: a tile URL template (`{z}/{x}/{y}`), or empty for none (the layers draw on a blank background). */
    MAP_TILE_URL: t.String({ default: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', pattern: '^(https?://[^\\s"\'<>]+)?$' }),
    /** The basemap's attribution, as HTML (the tile provider's terms ask for it). */
    /** Where photos are stored: the uploads folder in DATA_DIR by default, or `s3://bucket/prefix` with the S3_* settings (several instances share it). */
    ...STORAGE_SETTINGS,
    MAP_ATTRIBUTION: t.String({ default: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors' }),
  }),
)

if (settings.NODE_ENV === 'production' && settings.SECRET_KEY === DEVELOPMENT_SECRET_KEY) {
  throw new SettingsError([{ variable: 'SECRET_KEY', msg: 'Set a secret of your own: the development default is refused when NODE_ENV is production' }])
}

/** Whether the app signs tokens with the published development key (logged as a warning at start). */
export const usesDevelopmentSecret = settings.SECRET_KEY === DEVELOPMENT_SECRET_KEY
