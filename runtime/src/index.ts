// The public API of trefoil: exactly what is listed here.
export { default as t, type Static, type TSchema } from 'typebox'
export { createApp, type App, type AppContract, type AppOptions, type ListenOptions, type ErrorMapper } from './core/app.js'
export { SERVER_SETTINGS, type ServerLimits } from './core/http-server.js'
export type { ShutdownOutcome, CutRequest } from './core/shutdown.js'
export { closeOnSignals, type Closable, type CloseOnSignalsOptions, type SignalStop } from './core/signals.js'
export { definePlugin, type Plugin, type PluginOptions } from './core/plugin.js'
export type { AppView, Awaitable, PluginRef, SetupResult } from './core/app-view.js'
export {
  type UnitOptions,
  type RouteOptions,
  type RouteDefinition,
  type HandlerInput,
  type Handler,
  type HttpMethod,
  type PathParams,
  type ResponseSpec,
  type ResponseDoc,
  type ResponseDocs,
  type ResponseValue,
  type Schema,
} from './core/routing.js'
export { withDefault, type TDefault } from './core/defaults.js'
export { model, type Model, type ModelOptions, type ModelInput, type ModelOutput, type ComputedField, type FieldSerializers } from './core/model.js'
export { defineUnit } from './core/unit.js'
export type { Unit, UnitRouter, UnitRoutes, RouteMethod, RouteContract, RouteIo } from './core/route-types.js'
export { depends, isDependency, type Dependency, type DependencyBase, type DependsOptions, type Cleanup, type UseMap, type UseValues, type RawQuery } from './core/depends.js'
export {
  HttpError,
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  Conflict,
  PayloadTooLarge,
  UnsupportedMediaType,
  ServiceUnavailable,
  ValidationError,
  isHttpError,
  type HttpErrorOptions,
} from './core/errors.js'
export { TrefoilError, ERROR_CODES, isTrefoilError, type TrefoilErrorCode, type TrefoilErrorOptions } from './core/trefoil-error.js'
export { json, fastJson, created, html, text, redirect, file, stream, noContent, isReply, type Reply, type ReplyOptions, type FileOptions, type HtmlSource, type RedirectStatus } from './core/responses.js'
export { defineSettings, databaseUrlFromParts, maskUrlPassword, SettingsError, type SettingsOptions } from './settings.js'
export { rules, toIssues, type FormatCheck, type ValidationIssue, type Location, type Rule, type RuleIssue } from './core/validation.js'
export { loadViews, type Views, type ViewsOptions } from './core/views.js'
export { createLogger, type Logger, type LoggerSetting } from './logging.js'
export type { InjectRequest, InjectResponse } from './core/inject.js'
export { client, type Client, type ClientOptions, type ClientResponse, type Injectable, type Endpoint, type EndpointsOf, type BodiesOf, type RequestOf, type ResponseOf, type ErrorBody, type ValidationErrorBody, type Wire } from './client/index.js'
export type { RequestContext, TrefoilState } from './core/context.js'

// database: pg-promise, embedded PostgreSQL, migrations
export { defineDatabase, connectDatabase, startEmbeddedDatabase, sqlFile, type ConnectOptions, type Db, type DatabaseHandle, type DatabaseOptions, type DatabaseDefinition, type ConstraintMessage } from './db/index.js'
export { applyMigrations, MigrationError, MIGRATIONS_TABLE, type MigrationResult } from './db/index.js'

// concurrency: the worker pool, bounded batches, the loop monitor, serving on N processes
export {
  createWorkerPool,
  defaultWorkerThreads,
  defineWorkers,
  defineTask,
  runInWorker,
  workers,
  TaskError,
  type WorkerPool,
  type WorkersOptions,
  type WorkersPlugin,
  type WorkerStats,
  type RunOptions,
  type Task,
  type TaskContext,
  type TaskFunction,
  type TaskFailure,
  type TaskModule,
  type TaskSource,
} from './workers/index.js'
export { mapConcurrent, settleConcurrent, BatchError, type BatchFailure, type MapConcurrentOptions } from './workers/index.js'
export { defineLoopMonitor, type LoopMonitor, type LoopMonitorOptions, type LoopStats } from './workers/index.js'
export { serve, type ServeOptions, type Serving } from './workers/index.js'

// API surface: OpenAPI and docs, auth, CSRF, security headers and CORS
export { openapi, named, buildOpenApi, openApiClientSource, fileResponses, type FileResponsesOptions, type OpenApiOptions, type OpenApiDocument, type OpenApiClientOptions } from './openapi/index.js'
export { defineAuth, DEFAULT_ROLES, type Auth, type AuthOptions, type AuthInput, type SessionOptions, type ProjectGrant, type LoginOptions, type SignOptions, type JWTPayload } from './auth/index.js'
export { createCsrf, SAFE_METHODS, type Csrf, type CsrfOptions } from './auth/index.js'
export { security, cors, safeEqual, DEFAULT_CSP, type SecurityOptions, type CorsOptions } from './security/index.js'

// uploads
export { byName, SNIFFED_TYPES, type UploadedFile, type UploadedFiles, type MultipartFields, type MultipartSpec, type FileFieldSpec, type UploadSpec, type UploadInput, type SaveOptions } from './uploads/index.js'

// object storage: one interface, a local folder or S3 (STORAGE_URL)
export {
  createStorage,
  defineStorage,
  storedFile,
  STORAGE_SETTINGS,
  type Storage,
  type StorageSettings,
  type CreateStorageOptions,
  type PutSource,
  type PutOptions,
  type PutResult,
  type ObjectInfo,
  type ByteRange,
  type GetOptions,
  type StoredObject,
  type ListedObject,
  type PresignOptions,
  type StoredFileOptions,
  type DownloadRequest,
  type StoragePluginOptions,
} from './storage/index.js'

// background tasks and durable jobs
export { defineBackground, background, BackgroundTaskStatus, BACKGROUND_TABLE, type BackgroundOptions, type BackgroundTasks, type BackgroundTasksHandle, type BackgroundStatus, type BackgroundTaskRow, type TrackedTask, type TrackedTaskInfo, type ReportProgress } from './background/index.js'
export { defineJobs, defineJob, jobs, type Job, type JobOptions, type JobContext, type JobHandler, type JobQueue, type JobsOptions, type JobState, type SendOptions } from './background/index.js'
export { attemptLimiter, TooManyAttempts, ATTEMPTS_TABLE_SQL, type AttemptLimiterOptions, type Attempts } from './auth/index.js'
