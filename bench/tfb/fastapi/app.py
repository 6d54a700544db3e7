"""The six TechEmpower test types on FastAPI + asyncpg, as its docs write an app: pydantic
response models, Jinja2 (autoescape) for the fortunes, an asyncpg pool opened in the lifespan.
Run single-process by uvicorn with uvloop and httptools (the bench runner starts it)."""
import os
import random
from contextlib import asynccontextmanager

import asyncpg
import jinja2
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import BaseModel

SELECT_WORLD = 'SELECT id, randomnumber FROM world WHERE id = $1'
UPDATE_WORLD = 'UPDATE world SET randomnumber = $2 WHERE id = $1'
SELECT_FORTUNES = 'SELECT id, message FROM fortune'
EXTRA_FORTUNE = 'Additional fortune added at request time.'

with open(os.path.join(os.path.dirname(__file__), 'fortunes.html'), encoding='utf-8') as source:
    FORTUNES = jinja2.Environment(autoescape=True).from_string(source.read())


class World(BaseModel):
    id: int
    randomNumber: int


class Message(BaseModel):
    message: str


pool: asyncpg.Pool


@asynccontextmanager
async def lifespan(_app: FastAPI):
    global pool
    size = int(os.environ.get('DB_POOL_SIZE', '10'))
    pool = await asyncpg.create_pool(os.environ['DATABASE_URL'], min_size=size, max_size=size)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


def query_count(raw: str | None) -> int:
    """Missing, not an integer or below 1 counts as 1; above 500 as 500."""
    try:
        value = int(raw) if raw is not None else 1
    except ValueError:
        return 1
    return min(max(value, 1), 500)


def random_id() -> int:
    return random.randint(1, 10000)


@app.get('/json', response_model=Message)
async def json_test():
    return {'message': 'Hello, World!'}


@app.get('/db', response_model=World)
async def single_query():
    row = await pool.fetchrow(SELECT_WORLD, random_id())
    return {'id': row['id'], 'randomNumber': row['randomnumber']}


@app.get('/queries', response_model=list[World])
async def multiple_queries(queries: str | None = None):
    count = query_count(queries)
    # one connection for the request's queries; asyncpg prepares the statement once per connection
    async with pool.acquire() as connection:
        rows = [await connection.fetchrow(SELECT_WORLD, random_id()) for _ in range(count)]
    return [{'id': row['id'], 'randomNumber': row['randomnumber']} for row in rows]


@app.get('/fortunes', response_class=HTMLResponse)
async def fortunes():
    rows = [(row['id'], row['message']) for row in await pool.fetch(SELECT_FORTUNES)]
    rows.append((0, EXTRA_FORTUNE))
    rows.sort(key=lambda fortune: fortune[1])
    return HTMLResponse(FORTUNES.render(fortunes=rows))


@app.get('/updates', response_model=list[World])
async def updates(queries: str | None = None):
    count = query_count(queries)
    async with pool.acquire() as connection:
        worlds = []
        for _ in range(count):
            row = await connection.fetchrow(SELECT_WORLD, random_id())
            worlds.append({'id': row['id'], 'randomNumber': random_id()})
        # one batch for the request's rows, in id order (concurrent requests never deadlock)
        ordered = sorted(worlds, key=lambda world: world['id'])
        await connection.executemany(UPDATE_WORLD, [(world['id'], world['randomNumber']) for world in ordered])
    return worlds


@app.get('/plaintext', response_class=PlainTextResponse)
async def plaintext():
    return PlainTextResponse('Hello, World!')
