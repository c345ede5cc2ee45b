# Konvergensi production image: gunicorn (web), celery worker and celery beat all run from it.
# Build:  docker build -t konvergensi .
# Stack:  docker compose up -d   (see docker-compose.yml)
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    MEDIA_ROOT=/srv/media \
    STATIC_ROOT=/app/staticfiles

# WeasyPrint's native libraries and fonts; gettext to compile the .po catalogues.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        fonts-dejavu-core \
        fontconfig \
        gettext \
    && rm -rf /var/lib/apt/lists/* \
    && fc-cache -f

# Unprivileged runtime user with a writable home (fontconfig cache, celery beat state).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app \
    && mkdir -p /srv/media \
    && chown app:app /srv/media

WORKDIR /app

# Dependencies first so source changes do not reinstall them. The project declares no
# packages ([tool.setuptools] packages = []): this installs the dependencies only and the
# code runs from /app.
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install . && rm -rf build *.egg-info

# Source is owned by root and read-only for the app user.
COPY . .

# Static files (whitenoise manifest) and translations are built into the image. SECRET_KEY
# here exists only for these commands; the real one comes from the environment at runtime.
RUN SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only DEBUG=false python manage.py compilemessages \
    && mkdir -p /app/var \
    && chown app:app /app/var

USER app

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
