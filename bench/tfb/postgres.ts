// A throwaway PostgreSQL 15 cluster from Debian's binaries, as CI starts one (initdb in a temp
// folder as the `postgres` user, trust auth on 127.0.0.1), pinned to the load generator's core,
// filled with TechEmpower's tables: `world` (10,000 rows) and `fortune` (the 12 fortunes).
import { execFileSync } from 'node:child_process'
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { FORTUNES, WORLD_ROWS } from './shared.js'

const PG_BIN = '/usr/lib/postgresql/15/bin'

/** A running cluster with the `hello_world` database. */
export interface Postgres {
  /** `postgresql://postgres@127.0.0.1:<port>/hello_world` */
  url: string
  version: string
  stop(): void
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/**
 * Starts the cluster on `core` (every backend inherits the affinity), creates and fills the tables.
 * `synchronous_commit = off` as TechEmpower's own configuration has it: commits do not wait for the
 * disk, which on a shared machine would measure the disk, not the frameworks.
 * `pg_stat_statements` lets the verification count each server's queries.
 */
export async function startPostgres(core: string | undefined): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), 'trefoil-tfb-pg-'))
  chownSync(dir, uid('postgres'), gid('postgres'))
  const port = await freePort()
  const asPostgres = (args: string[]): void => {
    const command = core === undefined ? args : ['taskset', '-c', core, ...args]
    execFileSync('runuser', ['-u', 'postgres', '--', ...command], { stdio: ['ignore', 'ignore', 'pipe'] })
  }
  const stop = (): void => {
    try {
      asPostgres([join(PG_BIN, 'pg_ctl'), '-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop'])
    } catch {
      // already stopped: nothing to do but remove the folder
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    asPostgres([join(PG_BIN, 'initdb'), '-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'])
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c max_connections=200',
      '-c shared_buffers=256MB',
      '-c synchronous_commit=off',
      '-c shared_preload_libraries=pg_stat_statements',
      '-c pg_stat_statements.track=all',
    ].join(' ')
    asPostgres([join(PG_BIN, 'pg_ctl'), '-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-w', '-o', options, 'start'])
  } catch (error) {
    let log = ''
    try {
      log = readFileSync(join(dir, 'server.log'), 'utf8')
    } catch {
      // no log written yet
    }
    stop()
    throw new Error(`Cannot start PostgreSQL 15 from ${PG_BIN}: ${(error as Error).message}\n${log}`)
  }
  try {
    const admin = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres` })
    await admin.connect()
    await admin.query('CREATE DATABASE hello_world')
    await admin.end()
    const url = `postgresql://postgres@127.0.0.1:${port}/hello_world`
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query('CREATE EXTENSION pg_stat_statements')
    await client.query('CREATE TABLE world (id integer NOT NULL PRIMARY KEY, randomnumber integer NOT NULL DEFAULT 0)')
    await client.query(`INSERT INTO world (id, randomnumber) SELECT n, 1 + floor(random() * ${WORLD_ROWS})::int FROM generate_series(1, ${WORLD_ROWS}) AS n`)
    await client.query('CREATE TABLE fortune (id integer NOT NULL PRIMARY KEY, message varchar(2048) NOT NULL)')
    for (const fortune of FORTUNES) await client.query('INSERT INTO fortune (id, message) VALUES ($1, $2)', [fortune.id, fortune.message])
    await client.query('VACUUM ANALYZE')
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version')
    await client.end()
    return { url, version: rows[0]!.server_version, stop }
  } catch (error) {
    stop()
    throw error
  }
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim())
}

function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim())
}
