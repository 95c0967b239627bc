#!/usr/bin/env bash
# The main job: three regions, each accepting plain-SQL camera counts at once, replicated
# through Kafka and merged with CRDTs, then a report that every region is identical.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/bootstrap.sh
pnpm stack up
pnpm demo "$@"
