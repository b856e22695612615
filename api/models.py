from django.db import models


class IdempotentRequest(models.Model):
    """The first answer to a POST /api/v1/emails with an Idempotency-Key, replayed for the
    same key within IDEMPOTENCY_WINDOW (one table per tenant schema: keys never collide
    across tenants)."""

    key = models.CharField(max_length=255, unique=True)
    # A digest of the request body: the same key with another body is refused, not replayed.
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key
