#!/usr/bin/env bash
# Download the Kafka broker jars (pinned in pom.xml) into infra/kafka/lib/.
# Idempotent: does nothing when lib/ already holds a complete copy of that version.
# Needs Java 17+ and Maven 3.8+; talks only to Maven Central (or your ~/.m2/settings.xml mirror).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="$HERE/lib"
VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml" | head -n1)"
[ -n "$VERSION" ] || { echo "fetch.sh: cannot read <kafka.version> from $HERE/pom.xml" >&2; exit 1; }

complete() { [ -f "$LIB/.complete-$VERSION" ] && [ -f "$LIB/kafka_2.13-$VERSION.jar" ]; }

if complete; then
  echo "fetch.sh: Kafka $VERSION jars already in $LIB" >&2
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch.sh: mvn not found (need Maven 3.8+ and Java 17+)" >&2; exit 1; }

# Serialise concurrent fetches in the same checkout.
mkdir -p "$HERE/.run"
if command -v flock >/dev/null; then
  exec 9>"$HERE/.run/fetch.lock"
  flock 9
  if complete; then echo "fetch.sh: Kafka $VERSION jars already in $LIB" >&2; exit 0; fi
fi

echo "fetch.sh: fetching Kafka $VERSION jars into $LIB ..." >&2
start=$(date +%s)
TMP="$HERE/lib.tmp.$$"
rm -rf "$TMP"
trap 'rm -rf "$TMP"' EXIT
# shellcheck disable=SC2086  # KAFKA_MVN_ARGS is a deliberately word-split list of extra flags
mvn -B -q ${KAFKA_MVN_ARGS:-} -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$TMP" >&2
[ -f "$TMP/kafka_2.13-$VERSION.jar" ] || { echo "fetch.sh: kafka_2.13-$VERSION.jar missing after mvn" >&2; exit 1; }
touch "$TMP/.complete-$VERSION"
rm -rf "$LIB"           # drops jars of any previously pinned version
mv "$TMP" "$LIB"
trap - EXIT
echo "fetch.sh: $(find "$LIB" -name '*.jar' | wc -l) jars in $LIB ($(( $(date +%s) - start ))s)" >&2
