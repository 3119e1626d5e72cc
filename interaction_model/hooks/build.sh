#!/usr/bin/env bash
# ASK CLI's custom build hook: `ask deploy --profile lambda` (run in interaction_model/)
# calls it with the path of the zip to upload. The zip is the project's own Lambda build,
# from the hash-pinned requirements/lambda.txt.
set -euo pipefail
out=$1
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || ./scripts/setup
exec .venv/bin/python -m skill.tools.lambda_package --out "$out"
