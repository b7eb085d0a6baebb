# Sourced by Plasm's scripts: finds a JDK 25 or newer and exports JAVA_HOME for Maven.
# Order: $JAVA_HOME if it is 25+, then /usr/lib/jvm/temurin-25-jdk-amd64, then any
# /usr/lib/jvm/*25* JDK.
java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}

require_java25() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  candidates+=(/usr/lib/jvm/temurin-25-jdk-amd64)
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*-2[6-9]-* ; do [ -d "$d" ] && candidates+=("$d"); done
  for home in "${candidates[@]}"; do
    if [ -x "$home/bin/javac" ] && [ -x "$home/bin/jlink" ]; then
      local major
      major=$(java_major "$home")
      if [ -n "$major" ] && [ "$major" -ge 25 ]; then
        export JAVA_HOME="$home"
        export PATH="$JAVA_HOME/bin:$PATH"
        # Maven 3.8 on JDK 25 warns about sun.misc.Unsafe; the warning is noise, not a problem.
        export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
        return 0
      fi
    fi
  done
  echo "error: Plasm needs a JDK 25 or newer (with javac and jlink), and none was found." >&2
  echo "       Looked at: ${candidates[*]}" >&2
  echo "       Install Temurin 25 (e.g. the temurin-25-jdk package) or set JAVA_HOME to a JDK 25." >&2
  exit 69
}
