#!/bin/bash
# retry.sh CMD...: run CMD until it succeeds, 30 times at most, 10 s apart (a schema migration
# waiting for its database, roles waiting for a managed primary that is still starting).
for _ in $(seq 1 "${OLYMPUS_RETRIES:-30}"); do "$@" && exit 0; sleep "${OLYMPUS_RETRY_SECONDS:-10}"; done
exit 1
