#!/usr/bin/env bash
# The GitHub Action's step (action.yml): installs and builds golive from the action's checkout when needed, runs
# the gate with the inputs, writes `verdict` and `report` to $GITHUB_OUTPUT and exits with golive's exit code.
# The CLI itself appends the Markdown summary to $GITHUB_STEP_SUMMARY and prints failing checks as annotations.
# It uploads nothing: add actions/upload-artifact on the `out` directory (see examples/github-actions.yml).
set -uo pipefail
action="${GOLIVE_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
out="${GOLIVE_INPUT_OUT:-golive-report}"
if [ ! -f "$action/packages/golive/dist/cli/main.js" ] || [ ! -d "$action/node_modules" ]; then
  (cd "$action" && npm install --no-audit --no-fund >/dev/null && npx tsc -b packages/golive) || { echo "golive: could not install and build the action" >&2; exit 70; }
fi
args=()
if [ -n "${GOLIVE_INPUT_CONFIG:-}" ]; then
  args=(run --config "$GOLIVE_INPUT_CONFIG")
  [ -n "${GOLIVE_INPUT_URL:-}" ] && args+=(--url "$GOLIVE_INPUT_URL")
else
  args=(check)
  [ -n "${GOLIVE_INPUT_URL:-}" ] && args+=("$GOLIVE_INPUT_URL")
fi
[ -n "${GOLIVE_INPUT_PRESET:-}" ] && args+=(--preset "$GOLIVE_INPUT_PRESET")
args+=(--out "$out")
if [ -n "${GOLIVE_INPUT_EXPECT_LIVE:-}" ]; then export EXPECT_LIVE="$GOLIVE_INPUT_EXPECT_LIVE"; fi
export GITHUB_ACTIONS="${GITHUB_ACTIONS:-true}"
node "$action/packages/golive/bin/golive.js" "${args[@]}"
code=$?
report="$out/report.json"
verdict=""
if [ -f "$report" ]; then
  verdict="$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).verdict))' "$report")"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "verdict=$verdict"; echo "report=$report"; } >> "$GITHUB_OUTPUT"
fi
exit "$code"
