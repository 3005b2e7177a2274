#!/usr/bin/env bash
# Whether two builds of mysql-monitor print the same `decode` output: every fixture binlog, in every
# output mode of the command (rows only, --all-events), one file a call and all files in one call,
# plus damaged copies (cut short, one byte overwritten; those of one fixture in one call, as decode
# goes on after a file that fails) so the error paths are compared too. For each call, standard
# output, standard error and the exit code must be byte-identical. The only
# thing normalised is the wall-clock "timestamp" field of row messages (when `decode` ran, so two
# runs may straddle a second); "binlog_timestamp" and everything else are compared as printed.
#   scripts/compare-decode.sh BEFORE_BINARY AFTER_BINARY [FIXTURE_DIR ...]
#     FIXTURE_DIR  default: the shared fixtures (../shared/fixtures/binlog beside the checkout)
#                  and tests/fixtures/binlog
#   MM_COMPARE_DAMAGED=0      skip the damaged copies (they need python3)
#   MM_COMPARE_KEEP=dir       keep every output in dir (default: a temporary directory)
# Exit 0 when everything is identical, 1 when anything differs (the differences are printed),
# 2 on bad arguments.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ $# -lt 2 ]]; then
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
before=$(realpath "$1")
after=$(realpath "$2")
shift 2
for binary in "$before" "$after"; do
  [[ -x $binary ]] || { echo "compare-decode.sh: $binary is not an executable" >&2; exit 2; }
done
dirs=("$@")
if [[ ${#dirs[@]} -eq 0 ]]; then
  dirs=("$root/../shared/fixtures/binlog" "$root/tests/fixtures/binlog")
fi

work=${MM_COMPARE_KEEP:-$(mktemp -d)}
mkdir -p "$work/before" "$work/after" "$work/damaged"
[[ -n ${MM_COMPARE_KEEP:-} ]] || trap 'rm -rf "$work"' EXIT

# The binlogs: every file below the folders except the notes, recordings' scripts and manifests.
files=()
for dir in "${dirs[@]}"; do
  [[ -d $dir ]] || { echo "compare-decode.sh: $dir is not a folder" >&2; exit 2; }
  while IFS= read -r -d '' file; do
    files+=("$file")
  done < <(find "$(realpath "$dir")" -type f ! -name '*.md' ! -name '*.txt' ! -name '*.py' \
             ! -name '*.sh' -print0 | sort -z)
done
[[ ${#files[@]} -gt 0 ]] || { echo "compare-decode.sh: no fixture files found" >&2; exit 2; }

# Damaged copies, the same bytes for both builds: for each plain file, cut at 7 evenly spaced
# offsets, and the byte at each of those offsets overwritten by its complement; in damaged/NNN/.
damaged=0
if [[ ${MM_COMPARE_DAMAGED:-1} != 0 ]]; then
  if ! command -v python3 >/dev/null; then
    echo "compare-decode.sh: python3 not found: damaged copies skipped" >&2
  else
    python3 - "$work/damaged" "${files[@]}" <<'PY'
import os, sys
out = sys.argv[1]
for n, path in enumerate(sys.argv[2:]):
    if path.endswith('.gz'):
        continue
    data = open(path, 'rb').read()
    if len(data) < 8:
        continue
    folder = os.path.join(out, '%04d' % n)
    os.mkdir(folder)
    name = os.path.basename(path)
    for k in range(1, 8):
        at = 4 + (len(data) - 4) * k // 8
        open(os.path.join(folder, '%s.cut%d' % (name, at)), 'wb').write(data[:at])
        flipped = bytearray(data)
        flipped[at] ^= 0xFF
        open(os.path.join(folder, '%s.flip%d' % (name, at)), 'wb').write(bytes(flipped))
PY
    damaged=$(find "$work/damaged" -type f | wc -l)
  fi
fi

# One call of both builds: NAME, then the arguments after `decode`.
cases=0
differing=()
compare() {
  local name=$1 side binary
  shift
  for side in before after; do
    binary=$before
    [[ $side == after ]] && binary=$after
    "$binary" decode "$@" >"$work/$side/$name.raw" 2>"$work/$side/$name.err"
    echo $? >"$work/$side/$name.rc"
    sed -E 's/"timestamp":[0-9]+/"timestamp":0/g' "$work/$side/$name.raw" >"$work/$side/$name.out"
    rm -f "$work/$side/$name.raw"
  done
  cases=$((cases + 1))
  local part
  for part in out err rc; do
    if ! cmp -s "$work/before/$name.$part" "$work/after/$name.$part"; then
      differing+=("$name.$part")
    fi
  done
}

index=0
for file in "${files[@]}"; do
  base=$(printf '%04d-%s' "$index" "$(basename "$file")")
  compare "$base.rows" "$file"
  compare "$base.all" --all-events "$file"
  if [[ -d $work/damaged/$(printf '%04d' "$index") ]]; then
    copies=("$work/damaged/$(printf '%04d' "$index")"/*)
    compare "$base.damaged.rows" "${copies[@]}"
    compare "$base.damaged.all" --all-events "${copies[@]}"
  fi
  index=$((index + 1))
done
# Several files in one call share one output stream and go on after a file that fails.
compare "every-file.rows" "${files[@]}"
compare "every-file.all" --all-events "${files[@]}"

lines=$(cat "$work"/before/*.out | wc -l)
failed=$(grep -lvx 0 "$work"/before/*.rc | wc -l)
echo "compare-decode: $cases calls of each build (${#files[@]} fixture files and $damaged damaged" \
     "copies, 2 modes, plus all files in one call per mode): $lines lines of output, $failed calls" \
     "exiting non-zero"
if [[ ${#differing[@]} -eq 0 ]]; then
  echo "compare-decode: identical (stdout with \"timestamp\" normalised, stderr, exit codes)"
  exit 0
fi
echo "compare-decode: ${#differing[@]} outputs differ:"
for what in "${differing[@]}"; do
  echo "  $what"
done
first=${differing[0]%% *}
echo "first difference ($first), before vs after:"
diff "$work/before/$first" "$work/after/$first" | head -20
exit 1
