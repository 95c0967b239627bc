#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs what is missing, brings the local
# three-region stack up, then typecheck, lint, the build, unit and integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/bootstrap.sh
pnpm stack up
# The secure stack (TLS, SASL, ACLs; docs/stack.md) for test/security and the secure ground tests.
pnpm stack secure up
status=0
pnpm format:check || status=$?
pnpm typecheck || status=$?
pnpm lint || status=$?
# dist/: the apps' bin entries point at it (test/workspace/package-exports.test.ts checks them).
pnpm build || status=$?
pnpm test || status=$?
if [[ "${CI:-}" == "true" ]]; then
  pnpm stack secure down || true
  pnpm stack down || true
fi
exit $status
