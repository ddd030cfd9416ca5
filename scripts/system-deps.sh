#!/usr/bin/env bash
# Installs the system tools the service and its tests need when they are missing (as root,
# with apt): ffmpeg for the media pipeline; curl and jq for the README examples; PostgreSQL,
# Redis and Chromium for the test suite; espeak-ng, whose known sentences the speech
# recognition tests and bench/asr.py transcribe; wrk, the load generator of
# bench/request_cost.py (its output parser is tested too); nginx, the load balancer of the
# cluster in deploy/ (make cluster, its system test and bench/cluster.py). Otherwise it says
# exactly what to install.
# --run: what `make run` needs; --bench: what `make bench` needs; --cluster: `make cluster`.
set -euo pipefail
missing=()
if [ "${1:-}" = "--run" ]; then
  # make run: only what the server needs.
  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null && exit 0
  missing=(ffmpeg)
elif [ "${1:-}" = "--bench" ]; then
  # make bench: ffmpeg for the media, curl as the upload client, wrk as the load generator,
  # espeak-ng for the lecture bench/asr.py transcribes.
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  command -v ffprobe >/dev/null || missing+=(ffmpeg)
  command -v curl >/dev/null || missing+=(curl)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
elif [ "${1:-}" = "--cluster" ]; then
  # make cluster: the pieces the cluster runs (SeaweedFS comes from PyPI) and ffmpeg.
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  command -v ffprobe >/dev/null || missing+=(ffmpeg)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v redis-server >/dev/null || missing+=(redis-server)
  if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
else
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v wrk >/dev/null || missing+=(wrk)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing: ${missing[*]}"
  apt-get update -q >/dev/null
  # shellcheck disable=SC2046
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
else
  echo "missing system packages: ${missing[*]} — install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
