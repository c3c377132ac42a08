#!/usr/bin/env bash
# Fetch Apache Storm's runtime jars (for LocalCluster + Flux) into a cache folder.
#
#   storm/fetch.sh                 # prints the deps directory on stdout (last line)
#   STORM_VERSION=2.8.2 storm/fetch.sh
#   STORM_DEPS_DIR=/some/cache storm/fetch.sh
#
# Layout of the cache ($STORM_DEPS_DIR, default storm/target/deps-<version>):
#   lib/    every jar the JVM classpath needs (storm-server, storm-client, their transitive
#           deps, flux-core). flux-core is a shaded jar that already contains flux-wrappers,
#           the multilang adapters (resources/storm.py ...), snakeyaml, commons-cli.
#   extra/  flux-wrappers and multilang-python jars, kept for reference, NOT on the classpath
#           (they only duplicate what flux-core carries, and both hold a top-level resources/).
#   .complete   stamp: version + pom checksum. When it matches, nothing is run (fast path).
#
# Why two mvn steps: Maven Central serves flux-core/flux-wrappers/multilang-python jars but not
# their parent POM org.apache.storm:flux (404 for every 2.5+ version), so they cannot be
# resolved as normal dependencies; `dependency:get -Dtransitive=false` fetches them without
# reading the parent. Their POMs declare no runtime dependencies anyway (flux-core is shaded).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="$here/pom.xml"
default_version="$(sed -n 's:.*<storm.version>\(.*\)</storm.version>.*:\1:p' "$pom" | head -n1)"
version="${STORM_VERSION:-$default_version}"
deps="${STORM_DEPS_DIR:-$here/target/deps-$version}"
mvn_timeout="${STORM_FETCH_TIMEOUT:-900}"
attempts="${STORM_FETCH_ATTEMPTS:-3}"

log() { echo "fetch.sh: $*" >&2; }

stamp_want="storm.version=$version pom.sha256=$(sha256sum "$pom" | cut -d' ' -f1)"
if [[ -f "$deps/.complete" ]] && [[ "$(cat "$deps/.complete")" == "$stamp_want" ]]; then
  echo "$deps"
  exit 0
fi

command -v mvn >/dev/null || { log "mvn not found on PATH"; exit 2; }
command -v java >/dev/null || { log "java not found on PATH"; exit 2; }

mvn_args=(-B -q -f "$pom" "-Dstorm.version=$version")
[[ -n "${MAVEN_REPO_LOCAL:-}" ]] && mvn_args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")

# Run mvn with retries (transient network failures on a cold ~/.m2 in CI).
retry_mvn() {
  local i out
  for ((i = 1; i <= attempts; i++)); do
    out="$(mktemp)"
    if timeout "$mvn_timeout" mvn "${mvn_args[@]}" "$@" >"$out" 2>&1; then
      rm -f "$out"
      return 0
    fi
    log "mvn $* failed (attempt $i/$attempts):"
    grep -E 'ERROR|BUILD' "$out" | head -n 5 >&2 || tail -n 20 "$out" >&2
    if grep -qE 'Could not find artifact|was not found in' "$out"; then
      rm -f "$out"; log "artifact missing on the repository: not retrying"; return 1
    fi
    rm -f "$out"
    sleep $((i * 5))
  done
  return 1
}

tmp="$deps.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/lib" "$tmp/extra"
trap 'rm -rf "$tmp"' EXIT

log "resolving Apache Storm $version into $deps (first run can take a few minutes)"
# 1. storm-server + storm-client and all their transitive runtime deps.
retry_mvn org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
  -DincludeScope=runtime "-DoutputDirectory=$tmp/lib"

# 2. flux-core (classpath) and flux-wrappers + multilang-python (extra/), non-transitively.
#    Plugin 2.8's `get` fetches just the jar; 3.x's `get` reads the (broken) parent POM.
for a in flux-core flux-wrappers multilang-python; do
  if [[ "$a" == flux-core ]]; then dest="$tmp/lib"; else dest="$tmp/extra"; fi
  retry_mvn org.apache.maven.plugins:maven-dependency-plugin:2.8:get \
    "-Dartifact=org.apache.storm:$a:$version" -Dtransitive=false "-Ddest=$dest/$a-$version.jar"
  [[ -s "$dest/$a-$version.jar" ]] || { log "missing $dest/$a-$version.jar after download"; exit 1; }
done

for j in storm-server storm-client flux-core; do
  [[ -f "$tmp/lib/$j-$version.jar" ]] || { log "expected $j-$version.jar in lib/"; exit 1; }
done

echo "$stamp_want" >"$tmp/.complete"
rm -rf "$deps"
mkdir -p "$(dirname "$deps")"
mv "$tmp" "$deps"
trap - EXIT
log "done: $(ls "$deps/lib" | wc -l) jars, $(du -sh "$deps" | cut -f1)"
echo "$deps"
