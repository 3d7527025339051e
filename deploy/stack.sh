#!/usr/bin/env bash
# The production stack on one machine, without Docker: what docker-compose.yml runs, with
# config.settings.production, in either storage mode. CI boots it (.ci/run) and drives the
# browser journeys and the fault tests through nginx over HTTPS (tests/stack/).
#
#   deploy/stack.sh up [s3|filesystem]   boot everything (fresh database, certificate, state)
#   deploy/stack.sh down                 stop everything; no process is left behind
#   deploy/stack.sh status               what runs, with its process id
#   deploy/stack.sh stop|start|kill SERVICE
#                                        one service (redis, s3, web, worker, precheck, beat,
#                                        nginx; precheck is compose's precheck-worker);
#                                        kill is SIGKILL to all its processes (a crash)
#   deploy/stack.sh s3-fault writes|all|off
#                                        the S3 server refuses writes (or everything) with 503
#   deploy/stack.sh pytest [ARGS]        the stack tests (pytest -m stack tests/stack ARGS)
#   deploy/stack.sh manage ARGS          manage.py with the stack's environment
#
# Commands and environment come from docker-compose.yml (deploy/compose.py): only addresses
# and paths differ, as listed in write_app_env below. PostgreSQL is the machine's (started if it
# is down), in its own database; Redis is a dedicated redis-server on its own port, so that
# the fault tests may stop it without disturbing anything else. In S3 mode moto's S3 server
# stands in for MinIO, behind a signature check (deploy/s3_server.py). All state lives under
# var/stack/ (YISHEN_STACK_DIR). Every address is loopback; every port can be overridden.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

STATE=${YISHEN_STACK_DIR:-$ROOT/var/stack}
HOST=127.0.0.1
HTTPS_PORT=${YISHEN_STACK_HTTPS_PORT:-8443}
HTTP_PORT=${YISHEN_STACK_HTTP_PORT:-8080}
WEB=${YISHEN_STACK_WEB:-127.0.0.1:8001}
REDIS_PORT=${YISHEN_STACK_REDIS_PORT:-6380}
S3_PORT=${YISHEN_STACK_S3_PORT:-9100}
PG_URL=${YISHEN_STACK_PG:-postgres://postgres@127.0.0.1:5432}
DB=${YISHEN_STACK_DB:-yishen_stack}
BUCKET=${YISHEN_STACK_BUCKET:-yishen}
ORIGIN="https://$HOST:$HTTPS_PORT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
SERVICES=(redis s3 web worker precheck beat nginx)

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

mode() { cat "$STATE/mode" 2>/dev/null || echo none; }

# --- the environment, from docker-compose.yml -----------------------------------------------
# Values compose takes from .env (secrets, host names, the storage mode), then the addresses and
# paths that differ on one machine. Written once at `up` to $STATE/app.env (NUL-separated).
write_app_env() {
  local m=$1
  DJANGO_SECRET_KEY=$(cat "$STATE/secrets/django") \
  YISHEN_ENTRY_SECRET=$(cat "$STATE/secrets/entry") \
  YISHEN_ID_KEYS="stack:$(cat "$STATE/secrets/idkey")" \
  YISHEN_ID_HASH_KEY=$(cat "$STATE/secrets/idhash") \
  MINIO_ROOT_USER=stack \
  MINIO_ROOT_PASSWORD=$(cat "$STATE/secrets/s3") \
  POSTGRES_PASSWORD=unused-the-stack-uses-the-machine-postgresql \
  DJANGO_ALLOWED_HOSTS=$HOST \
  DJANGO_CSRF_TRUSTED_ORIGINS=$ORIGIN \
  YISHEN_S3_PUBLIC_ENDPOINT_URL=$ORIGIN \
  YISHEN_S3_BUCKET=$BUCKET \
  YISHEN_STORAGE=$m \
    "$PY" deploy/compose.py env web \
      --set "DATABASE_URL=$PG_URL/$DB" \
      --set "REDIS_URL=redis://$HOST:$REDIS_PORT/1" \
      --set "CELERY_BROKER_URL=redis://$HOST:$REDIS_PORT/0" \
      --set "YISHEN_S3_ENDPOINT_URL=http://$HOST:$S3_PORT" \
      --set "YISHEN_MEDIA_ROOT=$STATE/media" \
      --add "DJANGO_STATIC_ROOT=$STATE/static" \
      >"$STATE/app.env"
}

compose_command() {  # SERVICE [--arg=...]: fills CMD
  local out
  out=$("$PY" deploy/compose.py command "$@" | tr '\0' '\n') || die "compose.py command $*"
  mapfile -t CMD <<<"$out"
}

# A clean environment, as in a container: the compose environment and nothing of ours.
load_app_env() {
  [ -s "$STATE/app.env" ] || die "the stack is not up (no $STATE/app.env): run '$0 up'"
  mapfile -d '' APP_ENV <"$STATE/app.env"
  IN_APP_ENV=(env -i PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin" HOME="$STATE" LANG=C.UTF-8
    PYTHONUNBUFFERED=1 "${APP_ENV[@]}")
}

# --- processes ------------------------------------------------------------------------------
# Each service runs in its own session (setsid), so its process id is also its process group:
# stop and kill reach every process of it (gunicorn and celery children, nginx workers).
pidfile() { echo "$STATE/run/$1.pid"; }

running() {
  local f pid
  f=$(pidfile "$1")
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  kill -0 -- "-$pid" 2>/dev/null
}

launch() {  # NAME COMMAND...: in the background, in its own session, logging to log/NAME.log
  local name=$1
  shift
  running "$name" && die "$name already runs (pid $(cat "$(pidfile "$name")"))"
  setsid "$@" >>"$STATE/log/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

# compose's `restart: unless-stopped` for the app services: a process that exits by itself is
# started again; stop and kill end the loop with it, as `docker stop` and `docker kill` do.
# A Celery worker that loses Redis reconnects by itself and is not restarted: the Redis fault
# test checks that its process stays the same.
launch_restarting() {  # NAME COMMAND...
  local name=$1
  shift
  launch "$name" bash -c 'while true; do "$@"; echo "[stack] exited with $?: restarting in 1 s"; sleep 1; done' \
    restart-loop "$@"
}

stop_service() {  # NAME [SIGNAL]
  local name=$1 signal=${2:-TERM} f pid
  f=$(pidfile "$name")
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 -- "-$pid" 2>/dev/null; then
    kill "-$signal" -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      say "$name did not stop within 10 s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$f"
}

wait_until() {  # SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq 1 $((seconds * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "$what not ready after ${seconds}s (logs in $STATE/log/)"
}

http_answers() { curl -s -k -o /dev/null --max-time 2 "$1"; }
log_has() { grep -q "$2" "$STATE/log/$1.log"; }

start_service() {
  local name=$1
  load_app_env
  case $name in
    redis)
      # Dedicated to the stack; nothing persisted (a broker restart loses what it held, which
      # the sweeps must recover).
      launch redis redis-server --bind "$HOST" --port "$REDIS_PORT" --save "" \
        --appendonly no --dir "$STATE/redis"
      wait_until 10 "redis" redis-cli -h "$HOST" -p "$REDIS_PORT" ping
      ;;
    s3)
      [ "$(mode)" = s3 ] || return 0
      launch s3 "${IN_APP_ENV[@]}" python deploy/s3_server.py "$HOST" "$S3_PORT" \
        "$STATE/run/s3-fault"
      wait_until 20 "the S3 server" http_answers "http://$HOST:$S3_PORT/"
      ;;
    web)
      compose_command web "--arg=--bind=$WEB"
      launch_restarting web "${IN_APP_ENV[@]}" "${CMD[@]}"
      wait_until 60 "gunicorn" http_answers "http://$WEB/"
      ;;
    worker | precheck)
      local service=worker before
      [ "$name" = precheck ] && service=precheck-worker
      compose_command "$service"
      : >>"$STATE/log/$name.log"
      before=$(grep -c ' ready\.' "$STATE/log/$name.log" || true)
      launch_restarting "$name" "${IN_APP_ENV[@]}" "${CMD[@]}"
      wait_until 180 "the Celery $service" worker_ready "$name" "$before"
      ;;
    beat)
      compose_command beat "--arg=--schedule=$STATE/run/celerybeat-schedule"
      launch_restarting beat "${IN_APP_ENV[@]}" "${CMD[@]}"
      ;;
    nginx)
      render_nginx
      launch nginx nginx -c "$STATE/nginx/nginx.conf" -g "daemon off;"
      wait_until 20 "nginx" http_answers "$ORIGIN/static/favicon.svg"
      ;;
    *) die "no service $name (services: ${SERVICES[*]})" ;;
  esac
}

worker_ready() { [ "$(grep -c ' ready\.' "$STATE/log/$1.log" || true)" -gt "$2" ]; }

# --- up -------------------------------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing: $2"; }

make_certificate() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=$HOST" \
    -addext "subjectAltName=IP:$HOST,DNS:localhost" \
    -keyout "$STATE/certs/privkey.pem" -out "$STATE/certs/fullchain.pem" 2>/dev/null
}

# The same template compose mounts into the nginx image, rendered the way the image's
# entrypoint renders it (envsubst, only the variables that match NGINX_ENVSUBST_FILTER), with
# the values of the nginx service of docker-compose.yml replaced by the stack's addresses.
render_nginx() {
  local filter names
  mapfile -d '' NGINX_ENV < <("$PY" deploy/compose.py env nginx \
    --set "YISHEN_NGINX_ADDRESS=$HOST" \
    --set "YISHEN_NGINX_HTTP_PORT=$HTTP_PORT" \
    --set "YISHEN_NGINX_HTTPS_PORT=$HTTPS_PORT" \
    --set "YISHEN_NGINX_WEB=$WEB" \
    --set "YISHEN_NGINX_S3=http://$HOST:$S3_PORT" \
    --set "YISHEN_NGINX_BUCKET=$BUCKET" \
    --set "YISHEN_NGINX_CERTS=$STATE/certs" \
    --set "YISHEN_NGINX_STATIC_ROOT=$STATE/static" \
    --set "YISHEN_NGINX_MEDIA_ROOT=$STATE/media" \
    --set "YISHEN_NGINX_ACCESS_LOG=$STATE/log/nginx-access.log")
  [ "${#NGINX_ENV[@]}" -gt 0 ] || die "could not read the nginx service of docker-compose.yml"
  filter=$(printf '%s\n' "${NGINX_ENV[@]}" | sed -n 's/^NGINX_ENVSUBST_FILTER=//p')
  names=$(printf '%s\n' "${NGINX_ENV[@]}" | cut -d= -f1 | grep -E "$filter" | sed 's/^/$/' | tr '\n' ' ')
  env -i "${NGINX_ENV[@]}" envsubst "$names" <docker/nginx.conf.template \
    >"$STATE/nginx/conf.d/default.conf"
  mkdir -p "$STATE/nginx/tmp"
  cat >"$STATE/nginx/nginx.conf" <<EOF
# The official nginx image's main configuration, with this stack's paths.
worker_processes 1;
pid $STATE/run/nginx.master.pid;
error_log $STATE/log/nginx-error.log warn;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $STATE/log/nginx-access.log;
    client_body_temp_path $STATE/nginx/tmp/body;
    proxy_temp_path $STATE/nginx/tmp/proxy;
    fastcgi_temp_path $STATE/nginx/tmp/fastcgi;
    uwsgi_temp_path $STATE/nginx/tmp/uwsgi;
    scgi_temp_path $STATE/nginx/tmp/scgi;
    sendfile on;
    keepalive_timeout 65;
    include $STATE/nginx/conf.d/*.conf;
}
EOF
  nginx -t -q -c "$STATE/nginx/nginx.conf" -g "daemon off;" ||
    die "nginx refuses the rendered configuration ($STATE/nginx/)"
}

postgres_up() {
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    say "PostgreSQL is down: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    wait_until 30 "PostgreSQL" pg_isready -h 127.0.0.1 -p 5432 -q
  fi
  psql "$PG_URL/postgres" -q -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
}

create_bucket() {
  "${IN_APP_ENV[@]}" python - <<'EOF'
import os

import boto3
from botocore.config import Config

# Private: no ACL or policy opens it; every read needs a signature (deploy/s3_server.py).
boto3.client(
    "s3",
    endpoint_url=os.environ["YISHEN_S3_ENDPOINT_URL"],
    region_name=os.environ["YISHEN_S3_REGION"],
    aws_access_key_id=os.environ["YISHEN_S3_ACCESS_KEY"],
    aws_secret_access_key=os.environ["YISHEN_S3_SECRET_KEY"],
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
).create_bucket(Bucket=os.environ["YISHEN_S3_BUCKET"], ACL="private")
EOF
}

up() {
  local m=${1:-${YISHEN_STACK_MODE:-s3}} t0=$SECONDS
  case $m in s3 | filesystem) ;; *) die "mode must be s3 or filesystem, not $m" ;; esac
  for s in "${SERVICES[@]}"; do
    running "$s" && die "the stack is already up ($s runs): run '$0 down' first"
  done
  need nginx "apt-get install -y nginx (as .ci/run does)"
  need redis-server "apt-get install -y redis-server"
  need openssl "apt-get install -y openssl"
  need envsubst "apt-get install -y gettext-base"
  need psql "apt-get install -y postgresql-client"
  need curl "apt-get install -y curl"
  [ -x "$PY" ] || make install
  "$PY" -c "import moto, yaml" 2>/dev/null || make install

  # A boot that fails half-way leaves nothing running.
  trap 'say "boot failed: stopping what had started"; stop_all' EXIT
  rm -rf "$STATE"
  mkdir -p "$STATE"/{run,log,certs,static,media,redis,secrets,nginx/conf.d}
  echo "$m" >"$STATE/mode"
  for secret in django entry s3; do
    "$PY" -c 'import secrets; print(secrets.token_urlsafe(40))' >"$STATE/secrets/$secret"
  done
  for secret in idkey idhash; do  # 32 random bytes, base64 (config/idkeys.py)
    "$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())' \
      >"$STATE/secrets/$secret"
  done
  chmod 700 "$STATE/secrets"
  write_app_env "$m"
  load_app_env
  say "mode $m, state in $STATE"

  postgres_up
  make_certificate
  start_service redis
  if [ "$m" = s3 ]; then
    start_service s3
    create_bucket
  fi
  compose_command migrate
  "${IN_APP_ENV[@]}" "${CMD[@]}" >>"$STATE/log/migrate.log" 2>&1 || die "migrate failed ($STATE/log/migrate.log)"
  # What the Dockerfile does at build time.
  "${IN_APP_ENV[@]}" python manage.py collectstatic --noinput >>"$STATE/log/migrate.log" 2>&1 ||
    die "collectstatic failed ($STATE/log/migrate.log)"
  start_service web
  start_service worker
  start_service precheck
  start_service beat
  start_service nginx
  trap - EXIT
  say "up in $((SECONDS - t0)) s: $ORIGIN/ (mode $m)"
}

stop_all() {
  for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
    stop_service "${SERVICES[i]}"
  done
}

down() {
  local left=0
  stop_all
  # Nothing may be left behind: every process group is gone.
  for s in "${SERVICES[@]}"; do
    if running "$s"; then
      say "$s still runs"
      left=1
    fi
  done
  [ "$left" = 0 ] || die "processes left behind"
  say "down"
}

status() {
  say "mode $(mode), $ORIGIN/"
  for s in "${SERVICES[@]}"; do
    if running "$s"; then
      printf '  %-9s running (pid %s)\n' "$s" "$(cat "$(pidfile "$s")")"
    else
      printf '  %-9s stopped\n' "$s"
    fi
  done
}

run_pytest() {
  load_app_env
  local where=(tests/stack)
  for arg in "$@"; do
    case $arg in tests/*) where=() ;; esac
  done
  env "${APP_ENV[@]}" DJANGO_SETTINGS_MODULE=config.settings.production \
    YISHEN_STACK_URL="$ORIGIN" YISHEN_STACK_MODE="$(mode)" YISHEN_STACK_SCRIPT="$ROOT/deploy/stack.sh" \
    YISHEN_STACK_DIR="$STATE" YISHEN_STACK_WEB="$WEB" YISHEN_STACK_REDIS_PORT="$REDIS_PORT" \
    YISHEN_STACK_S3_PORT="$S3_PORT" \
    "$PY" -m pytest -p no:cacheprovider -m stack "${where[@]}" "$@"
}

case ${1:-} in
  up) up "${2:-}" ;;
  down) down ;;
  status) status ;;
  start) start_service "${2:?service}" ;;
  stop) stop_service "${2:?service}" ;;
  kill) stop_service "${2:?service}" KILL ;;
  restart)
    stop_service "${2:?service}"
    start_service "$2"
    ;;
  s3-fault)
    case ${2:-} in
      writes | all) echo "$2" >"$STATE/run/s3-fault" ;;
      off) rm -f "$STATE/run/s3-fault" ;;
      *) die "s3-fault writes|all|off" ;;
    esac
    ;;
  pytest)
    shift
    run_pytest "$@"
    ;;
  manage)
    shift
    load_app_env
    "${IN_APP_ENV[@]}" python manage.py "$@"
    ;;
  *)
    sed -n '2,/^set -e/{/^set -e/!p}' "$0"
    exit 2
    ;;
esac
