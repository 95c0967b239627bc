#!/usr/bin/env bash
# Makes a fresh Debian machine ready for georep: system packages (when root), pnpm, the
# workspace's node_modules, and the Kafka broker jars (cached under tools/kafka/target/libs).
# Idempotent: run it as often as you like; tools/test.sh and tools/demo.sh source it. `pnpm stack up` then starts the local stack.
set -euo pipefail

georep_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$georep_root"

say() { printf '· %s\n' "$*" >&2; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

# --- system packages (Debian/Ubuntu, root only; otherwise say what is missing) ------------------
georep_missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || [ -n "${GEOREP_PG_BIN:-}" ] || georep_missing+=(postgresql-15)
command -v java >/dev/null 2>&1 || georep_missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || georep_missing+=(maven)
# promtool checks deploy/prometheus's alert rules in the tests.
command -v promtool >/dev/null 2>&1 || georep_missing+=(prometheus)
if [ "${#georep_missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${georep_missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${georep_missing[@]}" >/dev/null
  else
    die "missing ${georep_missing[*]}: sudo apt-get install -y ${georep_missing[*]}"
  fi
fi
command -v node >/dev/null 2>&1 || die "Node.js >= 20.19 is required (https://nodejs.org or apt-get install nodejs)"

# --- pnpm ----------------------------------------------------------------------------------------
# corepack's signature check fails on some machines; the version is pinned by packageManager.
export COREPACK_INTEGRITY_KEYS=0 COREPACK_ENABLE_DOWNLOAD_PROMPT=0
if ! pnpm --version >/dev/null 2>&1; then
  say "enabling pnpm via corepack"
  if ! { corepack enable >/dev/null 2>&1 && pnpm --version >/dev/null 2>&1; }; then
    say "corepack failed; installing pnpm@10.34.9 with npm"
    npm i -g pnpm@10.34.9 >/dev/null || die "could not install pnpm: npm i -g pnpm@10.34.9"
  fi
fi
say "pnpm $(pnpm --version)"

# --- dependencies --------------------------------------------------------------------------------
say "pnpm install --frozen-lockfile"
pnpm install --frozen-lockfile \
  || die "pnpm install --frozen-lockfile failed: if pnpm-lock.yaml is out of date, run 'pnpm install' and commit the lockfile"

# --- Kafka jars (same cache stamp as tools/stack/kafka.ts) ---------------------------------------
georep_libs="$georep_root/tools/kafka/target/libs"
georep_want="$(sha256sum "$georep_root/tools/kafka/pom.xml" | cut -d' ' -f1)"
if [ -f "$georep_libs/.pom.sha256" ] && [ "$(cat "$georep_libs/.pom.sha256")" = "$georep_want" ] && ls "$georep_libs"/kafka_2.13-*.jar >/dev/null 2>&1; then
  say "kafka jars: cached in tools/kafka/target/libs"
else
  say "fetching the Kafka jars with Maven (tools/kafka/pom.xml)"
  rm -rf "$georep_libs"
  mvn -q -B -f "$georep_root/tools/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$georep_libs" \
    || die "Maven could not fetch the Kafka jars: check that Maven Central is reachable"
  printf '%s\n' "$georep_want" >"$georep_libs/.pom.sha256"
fi

say "ready: run 'pnpm stack up' to start PostgreSQL x3, Kafka and Redis"
