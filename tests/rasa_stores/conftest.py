"""A throwaway Redis for the store tests, one per test session, emptied before each test."""

from __future__ import annotations

import pytest

from tests.services.redis import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    try:
        server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture
def redis_settings(redis_server):
    """Connection settings of an empty Redis database, as an endpoints file gives them."""
    redis_server.client(db=1).flushdb()
    return {"host": redis_server.host, "port": redis_server.port, "db": 1}
