# Sourced by build.sh / run.sh: picks a JDK >= 21 (Apicurio 3 bytecode is Java 21).
# Order: $REGISTRY_JAVA_HOME, $JAVA_HOME (if >= 21), /usr/lib/jvm/temurin-25-jdk-amd64, any /usr/lib/jvm/* >= 21.
_jdk_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1; }
_jdk_ok() { [ -x "$1/bin/java" ] && [ "$(_jdk_major "$1")" -ge 21 ] 2>/dev/null; }
pick_jdk() {
  local c
  for c in "${REGISTRY_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$c" ] && _jdk_ok "$c" && { echo "$c"; return 0; }
  done
  echo "no JDK >= 21 found (set REGISTRY_JAVA_HOME)" >&2
  return 1
}
