"""The Celery app reaches the real Redis broker and result backend."""

import uuid

import redis
from django.conf import settings

from alienportal.celery import app


def test_celery_broker_and_backend_are_the_configured_redis() -> None:
    assert app.conf.broker_url == settings.REDIS_URL
    assert app.conf.result_backend == settings.REDIS_URL
    assert app.conf.task_acks_late is True


def test_celery_connects_to_redis_and_round_trips_a_message() -> None:
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=3)
        assert connection.transport_cls == "redis"
        queue_name = f"probe-{uuid.uuid4().hex}"
        with connection.SimpleQueue(queue_name) as queue:
            queue.put({"probe": queue_name})
            message = queue.get(timeout=5)
            message.ack()
            assert message.payload == {"probe": queue_name}
    redis.Redis.from_url(settings.REDIS_URL).delete(queue_name)


def test_result_backend_stores_and_reads_a_result() -> None:
    task_id = uuid.uuid4().hex
    app.backend.store_result(task_id, {"answer": 42}, "SUCCESS")
    assert app.AsyncResult(task_id).get(timeout=5) == {"answer": 42}
    app.backend.forget(task_id)
