# The web, worker and beat image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 cymmetri
WORKDIR /app

COPY . .
RUN pip install .
# collectstatic needs settings, not real secrets: throwaway values for this one command.
RUN SECRET_KEY=build FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    PLATFORM_SMTP_HOST=localhost PLATFORM_EMAIL_DOMAIN=build.invalid STATIC_MANIFEST=true \
    python manage.py collectstatic --noinput

USER cymmetri
EXPOSE 8000
CMD ["gunicorn", "cymmetri.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
