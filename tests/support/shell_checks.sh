# Sourced by the shell tests: a scratch directory $work (removed on exit) and check(), which runs a
# condition, prints "ok"/"FAIL" with its description and counts the failures in $failures.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then
    echo "ok   $what"
  else
    echo "FAIL $what"
    failures=$((failures + 1))
  fi
}
