#!/usr/bin/env bash
# The torchport steps of the parity workflow (parity.yml), kept in one script so that the
# workflow and torchport's test of it (src/cli/ci-workflow.test.ts) run the same commands.
#
#   torchport-ci.sh shard I N OUT [verify args...]
#       Verifies the I-th of N slices of the models and copies its report.json and junit.xml to
#       OUT/report-I.json and OUT/junit-I.xml, even when the check fails (exit code kept).
#   torchport-ci.sh merge DIR
#       Merges DIR/report-*.json into DIR/merged/ (report.json, report.md, junit.xml, report.html),
#       appends report.md to $GITHUB_STEP_SUMMARY when set, exits 1 when the merged verdict fails.
#
# TORCHPORT (default: npx torchport) is the command that runs the CLI.
set -uo pipefail
read -r -a torchport <<< "${TORCHPORT:-npx torchport}"

case "${1:-}" in
  shard)
    index="$2" count="$3" out="$4"
    shift 4
    reports="$(mktemp -d)"
    "${torchport[@]}" verify --shard "$index/$count" --report "$reports" "$@"
    status=$?
    mkdir -p "$out"
    if [[ -f "$reports/latest/report.json" ]]; then
      cp "$reports/latest/report.json" "$out/report-$index.json"
      cp "$reports/latest/junit.xml" "$out/junit-$index.xml"
    fi
    rm -rf "$reports"
    exit "$status"
    ;;
  merge)
    dir="$2"
    "${torchport[@]}" report --merge "$dir" --out "$dir/merged" > /dev/null
    status=$?
    if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$dir/merged/report.md" ]]; then
      cat "$dir/merged/report.md" >> "$GITHUB_STEP_SUMMARY"
    fi
    exit "$status"
    ;;
  *)
    echo "usage: $0 shard I N OUT [verify args...] | merge DIR" >&2
    exit 2
    ;;
esac
