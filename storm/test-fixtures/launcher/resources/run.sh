# Launcher for programs shipped in the topology's resources/ (run as `sh run.sh PROGRAM ARGS...`):
# Storm extracts resources/ without Unix permissions, so PROGRAM arrives non-executable.
# Restore the exec bit in place; if that is not allowed (resources/ owned by another user),
# run a private executable copy instead.
prog="$1"; shift
if [ ! -x "$prog" ]; then
  chmod u+x "$prog" 2>/dev/null || {
    copy="${TMPDIR:-/tmp}/$(basename "$prog").$$"
    cp "$prog" "$copy" && chmod u+x "$copy" && prog="$copy"
  }
fi
exec "$prog" "$@"
