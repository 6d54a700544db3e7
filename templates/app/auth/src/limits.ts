// How many sign-in and sign-up attempts an account and a client address get within a window
// (settings AUTH_ATTEMPTS_*): enough for a person who mistypes a password a few times, far too few
// for guessing one. Counted in PostgreSQL, so that every process of the service shares the counts.
import { attemptLimiter } from 'trefoil'
import { settings } from '../config.js'
import { database } from '../db/database.js'

const limits = { db: database, perAccount: settings.AUTH_ATTEMPTS_PER_ACCOUNT, perAddress: settings.AUTH_ATTEMPTS_PER_ADDRESS, window: settings.AUTH_ATTEMPT_WINDOW_SECONDS }

/** Sign-in attempts, per account (email) and per client address. */
export const signInAttempts = attemptLimiter({ ...limits, scope: 'sign-in' })

/** Sign-up attempts, per email and per client address. */
export const signUpAttempts = attemptLimiter({ ...limits, scope: 'sign-up' })
