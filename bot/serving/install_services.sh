#!/usr/bin/env bash
# Make sure the scale-out profile can run on this machine: PostgreSQL, Redis and nginx
# from the distribution's packages. Installs them with apt-get when run as root;
# otherwise prints what to install and fails. Never downloads anything else.
set -euo pipefail

have() {
    command -v redis-server >/dev/null 2>&1 && command -v nginx >/dev/null 2>&1 \
        && command -v psql >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
}

if ! have; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "services: installing Debian's postgresql, redis-server and nginx-light with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends postgresql redis-server nginx-light >/dev/null
    else
        cat >&2 <<MSG
services: PostgreSQL, Redis and nginx are needed for the scale-out profile and its tests,
and this script cannot install them (it needs root and apt-get). Install them, then run
this again:
    Debian/Ubuntu:  sudo apt-get install postgresql redis-server nginx-light
MSG
        exit 1
    fi
fi
have || { echo "services: apt-get finished but a program is still missing" >&2; exit 1; }
# The packages may start their own services; the profile runs its own on free ports.
echo "services: $(ls -d /usr/lib/postgresql/*/bin | tail -1), $(redis-server --version | cut -d' ' -f1-3), $(nginx -v 2>&1)"
