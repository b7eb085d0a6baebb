#!/usr/bin/env bash
# Builds the Plasm runtime image (run by Maven in the `package` phase of jlink/pom.xml):
#   1. jlink: the JDK modules Plasm needs plus the Plasm and library modules from --modules;
#   2. the files of --image-files on top (bin/plasm, plugins/README.txt), and wasmtime-java's native
#      library for this platform in lib/wasmtime/ (bin/plasm points java.library.path there, so
#      nothing is extracted to /tmp at start-up);
#   3. two AOT caches (JEP 514), each from one training run of several commands in one JVM through
#      the image's own launcher (so a cache is made with exactly the flags the launcher uses):
#      lib/plasm.aot from `plasm run [--engine ID] FILE.wasm` (the --train file) on each engine of
#      --train-engine (a comma list, `auto` for the default choice); lib/plasm-client.aot from
#      `plasm --version` and the client commands (submit, jobs, job, peers) against a daemon of the
#      image started for the purpose, and with no daemon reachable;
#   4. a check that the caches are accepted (-XX:AOTMode=on fails when it is not).
# The image is built next to --output and moved into place at the end. When the inputs (jars,
# image files, JDK, this script, options) are unchanged the build is skipped.
set -euo pipefail

die() {
  echo "build-image: $*" >&2
  exit 1
}

jdk= modules= files= out= compress=zip-6 train= train_engine=auto roots=dev.plasm.cli,dev.plasm.engine.chicory
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
    --train-engine) train_engine=$2 ;;
    *) die "unknown argument $1 (usage: --jdk DIR --modules DIR --image-files DIR --output DIR [--add-modules M,...] [--compress zip-N] [--train FILE.wasm] [--train-engine ID,...])" ;;
  esac
  shift 2
done
# PLASM_IMAGE_EXTRA_MODULES (a comma list of JDK modules, e.g. jdk.jfr): added to the roots for an
# image that profiles (docs/performance.md, "Where a job's CPU goes"); the shipped image has none.
extra=${PLASM_IMAGE_EXTRA_MODULES:-}
if [ -n "$extra" ]; then
  [[ $extra =~ ^[a-z][a-z0-9_.]*(,[a-z][a-z0-9_.]*)*$ ]] ||
    die "PLASM_IMAGE_EXTRA_MODULES must be a comma list of module names (e.g. jdk.jfr), not '$extra'"
  roots=$roots,$extra
fi
[ -n "$jdk" ] && [ -n "$modules" ] && [ -n "$files" ] && [ -n "$out" ] || die "--jdk, --modules, --image-files and --output are required"
[ -x "$jdk/bin/jlink" ] || die "$jdk/bin/jlink not found: building the image needs a full JDK 25"
[ -d "$modules" ] || die "$modules does not exist (maven-dependency-plugin copies the modules there)"
if [ -n "$train" ]; then
  [ -f "$train" ] || die "training module $train not found"
  train=$(cd "$(dirname -- "$train")" && pwd)/$(basename -- "$train")
fi

stamp_file=$out.stamp

inputs() {
  echo "jdk=$(cd "$jdk" && pwd -P) compress=$compress roots=$roots train_engine=$train_engine"
  cat "$jdk/release" 2>/dev/null || true
  (cd "$modules" && sha256sum -- *.jar)
  (cd "$files" && find . -type f -printf '%p %m\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  [ -z "$train" ] || sha256sum <"$train"
  sha256sum <"${BASH_SOURCE[0]}"
  sha256sum <"$(dirname -- "${BASH_SOURCE[0]}")/../tools/UpgradeClassFiles.java"
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
scratch=$(mktemp -d)
trap 'rm -rf -- "$scratch"' EXIT

# wasmtime-java ships its JNI library for five platforms inside the jar (71 MB), and at start-up
# copies the right one to /tmp (18 MB, never deleted) unless System.loadLibrary finds it. jlink gets
# the jar without the libraries (and with a module descriptor), and this platform's library goes to
# lib/wasmtime/ once.
link_modules=$modules
wasmtime_jar=$(find "$modules" -maxdepth 1 -name 'wasmtime-java-*.jar' | head -n 1)
wasmtime_lib=
if [ -n "$wasmtime_jar" ]; then
  case $(uname -s)-$(uname -m) in
    Linux-x86_64 | Linux-amd64) platform=linux_x86_64 ;;
    Linux-aarch64 | Linux-arm64) platform=linux_aarch64 ;;
    *) die "no wasmtime-java native library for $(uname -s) $(uname -m) is handled here" ;;
  esac
  link_modules=$scratch/modules
  mkdir -p -- "$link_modules" "$scratch/wasmtime"
  find "$modules" -maxdepth 1 -name '*.jar' ! -name 'wasmtime-java-*.jar' -exec cp -- {} "$link_modules"/ \;
  (cd "$scratch/wasmtime" && "$jdk/bin/jar" xf "$wasmtime_jar")
  wasmtime_lib=$(find "$scratch/wasmtime" -maxdepth 1 -name "libwasmtime_jni_*_$platform.so" | head -n 1)
  [ -n "$wasmtime_lib" ] || die "$wasmtime_jar has no libwasmtime_jni_*_$platform.so"
  mv -- "$wasmtime_lib" "$scratch/libwasmtime_jni.so"
  wasmtime_lib=$scratch/libwasmtime_jni.so
  # The library carries DWARF (4 MB of its 18); its symbol table stays for crash reports.
  if command -v strip >/dev/null; then
    strip --strip-debug -- "$wasmtime_lib"
  fi
  find "$scratch/wasmtime" -maxdepth 1 \( -name '*.so' -o -name '*.dll' -o -name '*.dylib' \) -delete
  # jlink refuses automatic modules: compile a descriptor into the jar, keeping the name its
  # automatic module has (from the file name), which dev.plasm.engine.wasmtime requires.
  slf4j_jar=$(find "$modules" -maxdepth 1 -name 'slf4j-api-*.jar' | head -n 1)
  [ -n "$slf4j_jar" ] || die "slf4j-api is missing from $modules (wasmtime-java needs it)"
  mkdir -p -- "$scratch/wasmtime-src"
  cat >"$scratch/wasmtime-src/module-info.java" <<'EOF'
module wasmtime.java {
  requires org.slf4j;
  exports io.github.kawamuray.wasmtime;
  exports io.github.kawamuray.wasmtime.wasi;
}
EOF
  "$jdk/bin/javac" -nowarn -d "$scratch/wasmtime" --module-path "$slf4j_jar" \
    --patch-module wasmtime.java="$scratch/wasmtime" "$scratch/wasmtime-src/module-info.java"
  mv -- "$scratch/wasmtime/META-INF/MANIFEST.MF" "$scratch/wasmtime.mf"
  "$jdk/bin/jar" --create --file "$link_modules/$(basename -- "$wasmtime_jar")" --manifest "$scratch/wasmtime.mf" \
    -C "$scratch/wasmtime" .
fi

# Netty's QUIC codec (libp2p's /quic-v1) ships its JNI library (quiche and BoringSSL) inside a jar
# and copies it to a temporary directory at every start. jlink gets the codec without that jar, and
# the library for this platform goes to lib/quic/ once, under the name Netty asks System.loadLibrary
# for. Netty serves it for linux-x86_64 only: elsewhere the image has no lib/quic/ and a QUIC listen
# address is refused with that reason (TCP works everywhere).
quic_jar=$(find "$modules" -maxdepth 1 -name 'netty-codec-native-quic-*.jar' | head -n 1)
quic_lib=
if [ -n "$quic_jar" ]; then
  if [ "$link_modules" = "$modules" ]; then
    link_modules=$scratch/modules
    mkdir -p -- "$link_modules"
    cp -- "$modules"/*.jar "$link_modules"/
  fi
  rm -f -- "$link_modules"/netty-codec-native-quic-*.jar
  case $(uname -s)-$(uname -m) in
    Linux-x86_64 | Linux-amd64)
      mkdir -p -- "$scratch/quic"
      (cd "$scratch/quic" && "$jdk/bin/jar" xf "$quic_jar" META-INF/native/libnetty_quiche42_linux_x86_64.so)
      quic_lib=$scratch/quic/META-INF/native/libnetty_quiche42_linux_x86_64.so
      [ -f "$quic_lib" ] || die "$quic_jar has no libnetty_quiche42_linux_x86_64.so"
      if command -v strip >/dev/null; then
        strip --strip-debug -- "$quic_lib"
      fi
      ;;
    *) echo "build-image: no QUIC library for $(uname -s) $(uname -m); the image speaks libp2p over TCP only" >&2 ;;
  esac
fi

# picocli is compiled for Java 5, and the AOT cache cannot hold classes that old (they need the
# type-inferring verifier): 176 of them were loaded from lib/modules at every start. They are
# rewritten as version 52 with stack maps generated by the JDK's ClassFile API (behaviour unchanged).
picocli_jar=$(find "$modules" -maxdepth 1 -name 'picocli-*.jar' | head -n 1)
if [ -n "$picocli_jar" ]; then
  if [ "$link_modules" = "$modules" ]; then
    link_modules=$scratch/modules
    mkdir -p -- "$link_modules"
    cp -- "$modules"/*.jar "$link_modules"/
  fi
  n=$("$jdk/bin/java" "$(dirname -- "${BASH_SOURCE[0]}")/../tools/UpgradeClassFiles.java" "$picocli_jar" \
    "$link_modules/$(basename -- "$picocli_jar")") || die "cannot rewrite $picocli_jar"
  echo "build-image: $(basename -- "$picocli_jar"): $n class files rewritten for the AOT cache"
fi

echo "build-image: jlink $roots ($compress)"
"$jdk/bin/jlink" \
  --module-path "$link_modules" \
  --add-modules "$roots" \
  --strip-debug --no-header-files --no-man-pages \
  --compress "$compress" \
  --ignore-signing-information \
  --output "$tmp"

# The security providers: java.base's only. The JDK's list also names providers of modules this image
# leaves out (SunJGSS, XMLDSig, SunPCSC, SunPKCS11); the first lookup that reaches one of them (the
# HTTP client of every daemon command makes such a lookup as it starts) has the JDK instantiate every
# provider the image's modules declare to find it, Bouncy Castle's among them: about a second, for
# nothing (Plasm uses Bouncy Castle's classes directly, never as a JCA provider).
security=$tmp/conf/security/java.security
[ -f "$security" ] || die "$security is missing from the jlink output"
sed -i '/^security\.provider\.[0-9][0-9]*=/d' -- "$security"
cat >>"$security" <<'EOF'

# Plasm's runtime image: only the providers of java.base (build-image.sh says why).
security.provider.1=SUN
security.provider.2=SunRsaSign
security.provider.3=SunEC
security.provider.4=SunJSSE
security.provider.5=SunJCE
EOF

cp -R -- "$files"/. "$tmp"/
chmod 755 "$tmp/bin/plasm"
if [ -n "$wasmtime_lib" ]; then
  mkdir -p -- "$tmp/lib/wasmtime"
  install -m 755 -- "$wasmtime_lib" "$tmp/lib/wasmtime/libwasmtime_jni.so"
fi
if [ -n "$quic_lib" ]; then
  mkdir -p -- "$tmp/lib/quic"
  install -m 755 -- "$quic_lib" "$tmp/lib/quic/libnetty_quiche42_linux_x86_64.so"
fi

daemon_pid=
# Stops the training daemon (SIGTERM, then SIGKILL after 15 s), once.
stop_daemon() {
  [ -n "$daemon_pid" ] || return 0
  kill -TERM "$daemon_pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=
}

# train CACHE FILE: one training run of the commands in FILE (dev.plasm.cli.AotTraining: one JVM,
# several commands, each with the exit code it must give) through the image's launcher, making
# lib/CACHE. Classes only, no method profiles (JEP 515): profiles of the interpreter loop taken from
# one short guest made a long job of another guest ~25% slower and did not speed up start-up
# (docs/performance.md). The flag is diagnostic; should a later JDK drop it, train with profiles.
# Paths relative to the working directory lib/, so that a path with spaces survives the launcher's
# splitting of PLASM_JAVA_OPTS. An empty PLASM_HOME (but for the training daemon's files): the
# user's own plugins must not end up in the cache.
train() {
  local cache=$1 list=$2 opts
  opts="-XX:AOTCacheOutput=$cache -Dplasm.aot.training=$(basename -- "$list")"
  if "$tmp/bin/java" -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining -version >/dev/null 2>&1; then
    opts="-XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining $opts"
  else
    echo "build-image: note: this JVM has no -XX:-AOTRecordTraining; the cache will hold method profiles" >&2
  fi
  echo "build-image: AOT training run for lib/$cache: $(grep -c . "$list") commands"
  if ! (cd "$tmp/lib" && PLASM_HOME="$home" PLASM_AOT=off PLASM_JAVA_OPTS="$opts" "$tmp/bin/plasm") </dev/null >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "the AOT training run for lib/$cache failed; see $log"
  fi
  rm -f -- "$list"
  [ -f "$tmp/lib/$cache" ] || die "the training run made no $tmp/lib/$cache; see $log"
}

if [ -n "$train" ]; then
  log=$(dirname -- "$out")/aot-training.log
  : >"$log"
  home=$scratch/home
  mkdir -p -- "$home"
  t=$'\t'
  # Two caches, because the JVM loads and links every class of its cache as it starts: one cache for
  # all commands made each pay for the others' classes (docs/performance.md). bin/plasm picks one.
  # lib/plasm.aot: plasm run (and the commands that load engines) on each engine of --train-engine.
  {
    IFS=, read -r -a engines <<<"$train_engine"
    for e in "${engines[@]}"; do
      if [ "$e" = auto ]; then echo "0${t}run${t}$train"; else echo "0${t}run${t}--engine${t}$e${t}$train"; fi
    done
  } >"$tmp/lib/aot-run.txt"
  train plasm.aot "$tmp/lib/aot-run.txt"

  # lib/plasm-client.aot: the client commands, against a live daemon of this image (loopback, a free
  # port, its state in PLASM_HOME, so that they find it as a user's plasm does; started without a
  # cache), and with no daemon reachable (a closed loopback port); --version (the root alone) and
  # --help (the whole command tree). The job id is well-formed and unknown: job show trains its request and its 404.
  printf 'state-dir = "%s"\n[api]\nlisten = "127.0.0.1:0"\n[workers]\nwarm = false\n' "$home" >"$scratch/plasmd.toml"
  PLASM_HOME="$home" PLASM_AOT=off "$tmp/bin/plasm" daemon --config "$scratch/plasmd.toml" </dev/null >>"$log" 2>&1 &
  daemon_pid=$!
  trap 'stop_daemon; rm -rf -- "$scratch"' EXIT
  for _ in $(seq 1 600); do
    [ -f "$home/daemon.json" ] && break
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -f "$home/daemon.json" ] || { tail -n 30 "$log" >&2; die "the daemon for the AOT training did not start; see $log"; }
  {
    echo "0${t}--version"
    echo "0${t}--help"
    echo "0${t}jobs${t}--help"
    echo "0${t}submit${t}--wait${t}$train"
    echo "0${t}submit${t}-q${t}$train"
    echo "0${t}jobs"
    echo "0${t}jobs${t}--json"
    echo "66${t}job${t}show${t}000000000000-0000000000000000"
    echo "69${t}peers${t}--json"
    echo "69${t}jobs${t}--daemon${t}127.0.0.1:1"
  } >"$tmp/lib/aot-client.txt"
  train plasm-client.aot "$tmp/lib/aot-client.txt"
  stop_daemon

  # -XX:AOTMode=on makes the JVM fail instead of warning when it cannot use a cache.
  for cmd in engines --version; do
    if ! PLASM_HOME="$scratch/empty" PLASM_JAVA_OPTS="-XX:AOTMode=on" "$tmp/bin/plasm" "$cmd" >>"$log" 2>&1; then
      tail -n 30 "$log" >&2
      die "the JVM refuses the new AOT cache of 'plasm $cmd'; see $log"
    fi
  done
fi

rm -rf -- "$out"
mv -- "$tmp" "$out"
echo "$stamp" >"$stamp_file"
echo "build-image: $out ($(du -sh -- "$out" | cut -f1), AOT cache $(du -h -- "$out/lib/plasm.aot" 2>/dev/null | cut -f1 || echo none)) in $(($(date +%s) - start)) s"
