#!/usr/bin/env bash
# Builds the Plasm runtime image (run by Maven in the `package` phase of jlink/pom.xml):
#   1. jlink: the JDK modules Plasm needs plus the Plasm and library modules from --modules;
#   2. the files of --image-files on top (bin/plasm, plugins/README.txt);
#   3. an AOT cache (JEP 514): one training run of `plasm run FILE.wasm` (the --train file) through the
#      image's own launcher, so the cache is made with exactly the flags the launcher uses;
#   4. a check that the cache is accepted (-XX:AOTMode=on fails when it is not).
# The image is built next to --output and moved into place at the end. When the inputs (jars,
# image files, JDK, this script, options) are unchanged the build is skipped.
set -euo pipefail

die() {
  echo "build-image: $*" >&2
  exit 1
}

jdk= modules= files= out= compress=zip-6 train= roots=dev.plasm.cli,dev.plasm.engine.chicory
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case $1 in
    --jdk) jdk=$2 ;;
    --modules) modules=$2 ;;
    --image-files) files=$2 ;;
    --output) out=$2 ;;
    --add-modules) roots=$2 ;;
    --compress) compress=$2 ;;
    --train) train=$2 ;;
    *) die "unknown argument $1 (usage: --jdk DIR --modules DIR --image-files DIR --output DIR [--add-modules M,...] [--compress zip-N] [--train FILE.wasm])" ;;
  esac
  shift 2
done
[ -n "$jdk" ] && [ -n "$modules" ] && [ -n "$files" ] && [ -n "$out" ] || die "--jdk, --modules, --image-files and --output are required"
[ -x "$jdk/bin/jlink" ] || die "$jdk/bin/jlink not found: building the image needs a full JDK 25"
[ -d "$modules" ] || die "$modules does not exist (maven-dependency-plugin copies the modules there)"
if [ -n "$train" ]; then
  [ -f "$train" ] || die "training module $train not found"
  train=$(cd "$(dirname -- "$train")" && pwd)/$(basename -- "$train")
fi

stamp_file=$out.stamp

inputs() {
  echo "jdk=$(cd "$jdk" && pwd -P) compress=$compress roots=$roots"
  cat "$jdk/release" 2>/dev/null || true
  (cd "$modules" && sha256sum -- *.jar)
  (cd "$files" && find . -type f -printf '%p %m\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  [ -z "$train" ] || sha256sum <"$train"
  sha256sum <"${BASH_SOURCE[0]}"
}
stamp=$(inputs | sha256sum | cut -d' ' -f1)
if [ -x "$out/bin/plasm" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  # scripts/plasm rebuilds when a source is newer than bin/plasm: mark the image as checked.
  touch "$out/bin/plasm"
  echo "build-image: $out is up to date"
  exit 0
fi

start=$(date +%s)
tmp=$out.tmp
rm -rf -- "$tmp" "$stamp_file"
mkdir -p -- "$(dirname -- "$out")"

echo "build-image: jlink $roots ($compress)"
"$jdk/bin/jlink" \
  --module-path "$modules" \
  --add-modules "$roots" \
  --strip-debug --no-header-files --no-man-pages \
  --compress "$compress" \
  --ignore-signing-information \
  --output "$tmp"

cp -R -- "$files"/. "$tmp"/
chmod 755 "$tmp/bin/plasm"

if [ -n "$train" ]; then
  echo "build-image: AOT training run: plasm run $(basename -- "$train")"
  log=$(dirname -- "$out")/aot-training.log
  scratch=$(mktemp -d)
  trap 'rm -rf -- "$scratch"' EXIT
  # Classes only, no method profiles (JEP 515): profiles of the interpreter loop taken from one
  # short guest made a long job of another guest ~25% slower and did not speed up start-up
  # (docs/performance.md). The flag is diagnostic; should a later JDK drop it, train with profiles.
  # Relative to the working directory lib/, so that a path with spaces survives the launcher's
  # splitting of PLASM_JAVA_OPTS.
  train_opts="-XX:AOTCacheOutput=plasm.aot"
  if "$tmp/bin/java" -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining -version >/dev/null 2>&1; then
    train_opts="-XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining $train_opts"
  else
    echo "build-image: note: this JVM has no -XX:-AOTRecordTraining; the cache will hold method profiles" >&2
  fi
  # An empty PLASM_HOME: the user's own plugins must not end up in the cache.
  if ! (cd "$tmp/lib" && PLASM_HOME="$scratch" PLASM_AOT=off PLASM_JAVA_OPTS="$train_opts" \
      "$tmp/bin/plasm" run "$train") >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "the AOT training run failed; see $log"
  fi
  [ -f "$tmp/lib/plasm.aot" ] || die "the training run made no $tmp/lib/plasm.aot; see $log"
  # -XX:AOTMode=on makes the JVM fail instead of warning when it cannot use the cache.
  if ! PLASM_HOME="$scratch" PLASM_JAVA_OPTS="-XX:AOTMode=on" "$tmp/bin/plasm" --version >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "the JVM refuses the new AOT cache; see $log"
  fi
fi

rm -rf -- "$out"
mv -- "$tmp" "$out"
echo "$stamp" >"$stamp_file"
echo "build-image: $out ($(du -sh -- "$out" | cut -f1), AOT cache $(du -h -- "$out/lib/plasm.aot" 2>/dev/null | cut -f1 || echo none)) in $(($(date +%s) - start)) s"
