# The portal's production image: web (gunicorn), worker and beat all run from it.
#   docker compose build        (see docker-compose.yml for the services)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTAL_VAR_DIR=/app/var

# WeasyPrint (contract summaries, invoices) needs pango and a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
# (The project has no installable packages of its own: `pip install .` brings
# in its dependencies; the code runs from /app.)
COPY pyproject.toml README* ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Static files are collected at build time; whitenoise serves them pre-compressed
# from the web process, with content hashes in their names so browsers may cache them.
ARG STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage
ENV STATICFILES_BACKEND=${STATICFILES_BACKEND}
RUN python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin portal \
    && mkdir -p /app/var/media /app/var/mail \
    && chown -R portal:portal /app/var

USER portal

EXPOSE 8000

CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
