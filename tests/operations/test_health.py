"""/healthz and /readyz as Kubernetes calls them: any host name, no session, no tenant."""

from __future__ import annotations

import time

import pytest

TOKEN = "operators-token-for-tests"


@pytest.fixture
def operators_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_healthz_answers_on_any_host_name_without_asking_the_database(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        answers = [
            client.get("/healthz", HTTP_HOST=host)
            for host in ("10.42.0.17", "unknown.example.org", "production.localhost")
        ]

    assert [(a.status_code, a.json()) for a in answers] == [(200, {"status": "ok"})] * 3
    assert all(a["Cache-Control"] == "no-store" for a in answers)
    assert not any(a.cookies for a in answers)


def test_readyz_names_redis_when_it_is_stopped_and_is_ready_again_once_it_is_back(
    client, db, redis_server
):
    ready = client.get("/readyz", HTTP_HOST="10.42.0.17")
    assert ready.status_code == 200
    assert ready.json()["failed"] == []
    redis_server.stop()
    try:
        started = time.monotonic()
        down = client.get("/readyz", HTTP_HOST="10.42.0.17")
        took = time.monotonic() - started
    finally:
        redis_server.start()
    back = client.get("/readyz", HTTP_HOST="10.42.0.17")

    assert down.status_code == 503
    assert down.json()["status"] == "fail"
    assert down.json()["failed"] == ["redis", "broker"]
    assert down.json()["checks"]["database"]["ok"] is True
    assert down.json()["checks"]["redis"] == {
        "ok": False,
        "ms": down.json()["checks"]["redis"]["ms"],
        "error": "ConnectionError",
    }
    assert took < 1.5, f"/readyz took {took:.2f} s with Redis down; each probe has 1 s"
    assert back.status_code == 200
    assert back.json()["failed"] == []


def test_operators_are_told_why_a_probe_failed_and_others_only_what_kind_of_error(
    client, db, redis_server, operators_token
):
    redis_server.stop()
    try:
        anonymous = client.get("/readyz").json()["checks"]["redis"]
        operator = client.get("/readyz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()
    finally:
        redis_server.start()

    assert anonymous["error"] == "ConnectionError"
    assert "Connection refused" in operator["checks"]["redis"]["error"]
    assert str(redis_server.port) in operator["checks"]["redis"]["error"]


def test_deep_readiness_and_metrics_need_the_operators_token(client, db, operators_token):
    without = client.get("/readyz?deep=1")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guessed")
    scraped = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_HOST="10.0.0.1")

    assert without.status_code == 401
    assert without["WWW-Authenticate"].startswith("Bearer")
    assert wrong.status_code == 401
    assert scraped.status_code == 200
    assert scraped["Content-Type"].startswith("text/plain")
    assert "cymmetri_outbox_due" in scraped.content.decode()


def test_without_a_token_configured_metrics_and_deep_readiness_do_not_exist(client, db, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/readyz?deep=1").status_code == 404
    assert client.get("/readyz").status_code == 200


def test_the_endpoints_refuse_to_change_anything(client, db):
    answer = client.post("/readyz")

    assert answer.status_code == 405
    assert answer["Allow"] == "GET, HEAD"
