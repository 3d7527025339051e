FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
COPY pyproject.toml ./
COPY scripts/opencv-headless.sh scripts/
# The precheck group (offline OCR) for the precheck worker; the slim image has no libGL, so
# only the headless OpenCV is kept (scripts/opencv-headless.sh).
RUN pip install --upgrade pip && pip install ".[precheck]" && sh scripts/opencv-headless.sh python
COPY . .
# collectstatic needs the settings to import; the real secrets come from the environment.
RUN DJANGO_SECRET_KEY=build-only-not-a-secret-0123456789abcdef \
    YISHEN_ENTRY_SECRET=build-only-not-a-secret-0123456789abcdef DJANGO_ALLOWED_HOSTS=build \
    YISHEN_ID_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= YISHEN_ID_HASH_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 yishen && mkdir -p /app/var/media && chown -R yishen /app/var
USER yishen
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
