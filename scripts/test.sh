#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs what the tests need when it
# is missing (Debian packages, the linter), starts a throw-away PostgreSQL
# with PostGIS on loopback, then runs vet, lint and the race-enabled tests.
#
#   scripts/test.sh            everything
#   scripts/test.sh ./internal/geo/...   only some packages (still vet+lint)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH)/bin:/usr/sbin"

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have ogrinfo        || need_pkgs+=(gdal-bin)
have nats-server    || need_pkgs+=(nats-server)
have mosquitto_pub  || need_pkgs+=(mosquitto-clients mosquitto)
have chromium       || need_pkgs+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_pkgs+=(fonts-dejavu-core)
have node           || need_pkgs+=(nodejs)
have protoc         || need_pkgs+=(protobuf-compiler)
have npm            || need_pkgs+=(npm)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_pkgs+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need_pkgs+=(postgresql-15-postgis-3)
/usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null || need_pkgs+=(python3-numpy python3-scipy)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_pkgs[*]}"
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

LINT_VERSION=v2.15.0
if ! golangci-lint version 2>/dev/null | grep -q "${LINT_VERSION#v}"; then
  echo "test.sh: installing golangci-lint $LINT_VERSION"
  go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$LINT_VERSION"
fi

# A throw-away PostgreSQL 15 + PostGIS on loopback for the store contract suite.
if [ -z "${BORDERWATCH_TEST_POSTGRES_URL:-}" ]; then
  pgdir=$(mktemp -d /tmp/bw-pg.XXXXXX)
  chmod 755 "$pgdir"
  pgport=${BORDERWATCH_TEST_POSTGRES_PORT:-54329}
  run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres "$pgdir"
  run_pg /usr/lib/postgresql/15/bin/initdb -D "$pgdir/data" -A trust -U postgres >/dev/null
  run_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir -c fsync=off" start >/dev/null
  trap 'run_pg /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pgdir"' EXIT
  export BORDERWATCH_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
fi

# The node-mavlink drone emulator used by the MAVLink and end-to-end tests.
emu=internal/mavlink/testdata/emulator
[ -f "$emu/node_modules/node-mavlink/package.json" ] || (cd "$emu" && npm ci --no-audit --no-fund --loglevel=error)

pkgs=("$@"); [ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
echo "test.sh: go vet"
go vet ./...
echo "test.sh: golangci-lint"
golangci-lint run ./...
echo "test.sh: go test -race"
go test -race -count=1 -shuffle=on -timeout 15m "${pkgs[@]}"
