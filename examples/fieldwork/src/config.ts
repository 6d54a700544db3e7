// The example's settings: read from the environment and .env once, at start-up (see .env.example).
import { defineSettings, SERVER_SETTINGS, SettingsError, STORAGE_SETTINGS, t } from 'trefoil'
import { developmentSecret } from './auth/dev-secret.js'

/** Validated, frozen settings of the fieldwork app. */
export const settings = defineSettings(
  t.Object({
    NODE_ENV: t.String({ default: 'development' }),
    PORT: t.Integer({ minimum: 0, maximum: 65535, default: 8000 }),
    HOST: t.String({ default: '127.0.0.1' }),
    /** Signs session and API tokens (HS256): at least 32 characters. */
    SECRET_KEY: t.Optional(t.String({ minLength: 32 })),
    /** Lifetime of a token, in seconds (default 8 hours: a day in the field). */
    TOKEN_TTL_SECONDS: t.Integer({ minimum: 60, default: 8 * 3600 }),
    /** Behind a reverse proxy: take the client's address from `X-Forwarded-For` (off: anyone could claim any address). */
    TRUST_PROXY: t.Boolean({ default: false }),
    /** Sign-in (and sign-up) attempts allowed per account within `AUTH_ATTEMPT_WINDOW_SECONDS`. */
    AUTH_ATTEMPTS_PER_ACCOUNT: t.Integer({ minimum: 1, default: 10 }),
    /** Sign-in (and sign-up) attempts allowed per client address within the window (behind a proxy, see `TRUST_PROXY`). */
    AUTH_ATTEMPTS_PER_ADDRESS: t.Integer({ minimum: 1, default: 30 }),
    /** The attempt limits' fixed window, in seconds (default 15 minutes). */
    AUTH_ATTEMPT_WINDOW_SECONDS: t.Integer({ minimum: 1, default: 15 * 60 }),
    /** Where local state lives: the embedded database (`pgdata/`) and uploaded files (`uploads/`). */
    DATA_DIR: t.String({ minLength: 1, default: '.trefoil' }),
    /** Where requests' upload temp folders go (default `<os tmp>/trefoil-uploads`): one per instance, never shared. */
    UPLOAD_TEMP_DIR: t.Optional(t.String({ minLength: 1 })),
    /** An external PostgreSQL; unset, the app runs an embedded one in `DATA_DIR`. */
    DATABASE_URL: t.Optional(t.String({ minLength: 1 })),
    /** Threads of the worker pool (default: cores − 1, at least 1, shared out among the processes of `trefoil serve --workers N`). */
    WORKER_THREADS: t.Optional(t.Integer({ minimum: 1, maximum: 64 })),
    /**
     * The maps' basemap: a tile URL template (`{z}/{x}/{y}`, `{s}` for subdomains), or `none` for
     * no basemap (the layers draw on a blank background). `none`, not empty: an empty variable
     * counts as unset, which is the default.
     */
    MAP_TILE_URL: t.String({ default: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', pattern: '^(none|https?://[^\\s"\'<>]+)$' }),
    /** The basemap's attribution, as HTML (the tile provider's terms ask for it). */
    MAP_ATTRIBUTION: t.String({ default: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors' }),
    /** Where photos are stored: the uploads folder in DATA_DIR by default, or `s3://bucket/prefix` with the S3_* settings (several instances share it). */
    ...STORAGE_SETTINGS,
    /** Slow clients and the stop: SHUTDOWN_TIMEOUT_MS, SHUTDOWN_DRAIN_MS, HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, BODY_TIMEOUT_MS, MIN_BODY_RATE (README, "Limits and timeouts"). */
    ...SERVER_SETTINGS,
  }),
)

if (settings.NODE_ENV === 'production' && settings.SECRET_KEY === undefined) {
  throw new SettingsError([{ variable: 'SECRET_KEY', msg: 'Set a secret of your own: a generated development key is refused when NODE_ENV is production' }])
}

/** The basemap's tile URL template, or '' for none (`MAP_TILE_URL=none`): what the maps and the CSP use. */
export const mapTiles: string = settings.MAP_TILE_URL === 'none' ? '' : settings.MAP_TILE_URL

/** Whether the app signs tokens with a development key generated into DATA_DIR (logged as a warning at start). */
export const usesDevelopmentSecret = settings.SECRET_KEY === undefined

/** The key that signs tokens: SECRET_KEY, or in development a random one kept in DATA_DIR. */
export const secretKey: string = settings.SECRET_KEY ?? developmentSecret(settings.DATA_DIR).secret
