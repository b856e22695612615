"""Celery tasks of the Email SMTP integration (the probe queue). The schema rides in the task
headers; tasks take ids only."""

from celery import shared_task


@shared_task(ignore_result=True)
def connection_test_run_task(test_id: int) -> None:
    """Run a queued Test connection, storing its steps as they end."""
    from smtp_integration.tester import connection_test_run

    connection_test_run(test_id=test_id)
