# The web, worker and beat image. One image, four processes (docker-compose.yml): web
# (gunicorn, gunicorn.conf.py), the email worker, the probe worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # Every process counts into this directory (prometheus_client multiprocess mode);
    # web, workers and beat share it as one tmpfs (docker-compose.yml).
    PROMETHEUS_MULTIPROC_DIR=/run/metrics \
    LOG_FORMAT=json

RUN useradd --create-home --uid 10001 cymmetri
WORKDIR /app

COPY . .
RUN pip install .
# collectstatic needs settings, not real secrets: throwaway values for this one command.
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    PLATFORM_SMTP_HOST=localhost PLATFORM_EMAIL_DOMAIN=build.invalid STATIC_MANIFEST=true \
    PROMETHEUS_MULTIPROC_DIR= python manage.py collectstatic --noinput \
    && install -d -o cymmetri /run/metrics

USER cymmetri
EXPOSE 8000
# gunicorn reads gunicorn.conf.py from /app: bind, workers (WEB_CONCURRENCY), timeout.
CMD ["gunicorn", "cymmetri.wsgi:application"]
# Liveness of the web container; workers and beat override it (docker-compose.yml).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
