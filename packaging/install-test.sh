#!/usr/bin/env bash
# The install test: installs the built .deb on THIS machine and uses it as an operator would.
# It changes the machine (a package, the plasm user, /etc/plasm, /var/lib/plasm), so it runs only as
# root; CI runs it after scripts/test. Usage: packaging/install-test.sh [PLASM.deb]
#   1. dpkg -i: files, the plasm user, the state directory, the conffile, the unit enabled;
#   2. plasm run the bundled hello as plasm; the AOT cache is usable from /usr/lib/plasm; the
#      launcher leaves no process of its own (it execs java);
#   3. systemd-analyze verify and security --offline=true on the installed unit (exposure <= 2.0);
#   4. the installed daemon started by hand as plasm with the installed config: a job submitted, its
#      receipt verified against the node's identity; SIGTERM stops it and its workers;
#   5. the unit run by a real systemd, in a container booted from this machine's /usr and /etc
#      (systemd-nspawn; PID 1 here is not systemd): the hardened service runs a job, signs with the
#      same identity, and stops cleanly;
#   6. an upgrade to a rebuilt package (higher version, changed conffile) keeps the identity, token,
#      jobs and the admin's conffile;
#   7. remove keeps config and state; purge removes them (the plasm user stays, Debian practice).
# Needs: dpkg, systemd (systemd-analyze), systemd-container (systemd-nspawn), util-linux, python3.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test: this test installs a package and creates a system user; it must run as root" >&2
  echo "              (CI runs it as root after scripts/test). Run it on a machine you can change." >&2
  exit 77
fi
deb=${1:-$(ls "$here"/target/plasm_*.deb 2>/dev/null | head -n 1 || true)}
[ -n "$deb" ] && [ -f "$deb" ] || { echo "install-test: no .deb; build it first (scripts/test or mvn package)" >&2; exit 66; }
for tool in dpkg-deb systemd-analyze systemd-nspawn setpriv python3; do
  command -v "$tool" >/dev/null || { echo "install-test: $tool is missing (apt-get install systemd systemd-container util-linux python3)" >&2; exit 69; }
done

work=$(mktemp -d /tmp/plasm-install-test.XXXXXX)
chmod 755 "$work"
daemon_pid= nspawn_pid=
passed=0 failed=0

cleanup() {
  [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null || true
  [ -n "$nspawn_pid" ] && kill -KILL "$nspawn_pid" 2>/dev/null || true
  if dpkg-query -W plasm >/dev/null 2>&1; then
    dpkg --purge plasm >/dev/null 2>&1 || true
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" >"$work/check.out" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/     /' "$work/check.out" | tail -n 20; fi
}
# A command as plasm with the service's state directory; setpriv and env exec, so a background
# "${as_plasm[@]}" CMD & leaves $! as CMD's own pid.
as_plasm=(setpriv --reuid=plasm --regid=plasm --init-groups --inh-caps=-all env HOME=/var/lib/plasm PLASM_HOME=/var/lib/plasm)
as_plasm() { "${as_plasm[@]}" "$@"; }
stop_plasm_processes() { # after a failed check: the next steps need none left over
  local pids
  pids=$(pgrep -u plasm || true)
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
}
wait_for() { # wait_for SECONDS COMMAND...: polls until COMMAND succeeds
  local until=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $until ] || return 1
    sleep 0.3
  done
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

if dpkg-query -W plasm >/dev/null 2>&1; then
  echo "install-test: plasm is installed already; purging it first"
  dpkg --purge plasm >/dev/null
fi
[ ! -e /var/lib/plasm ] || { echo "install-test: /var/lib/plasm exists without the package; move it away first" >&2; exit 73; }

echo "== 1. install $(basename "$deb")"
check "dpkg -i" dpkg -i "$deb"
check "package installed" sh -c 'dpkg-query -W -f="\${Status}" plasm | grep -qx "install ok installed"'
check "system user and group plasm, no login shell" sh -c 'getent passwd plasm | awk -F: "\$3 < 1000 && \$7 ~ /nologin\$/ {ok=1} END {exit !ok}" && getent group plasm'
check "/var/lib/plasm is plasm's, mode 0700" sh -c '[ "$(stat -c "%U:%G %a" /var/lib/plasm)" = "plasm:plasm 700" ]'
check "/etc/plasm/plasmd.toml is a conffile" sh -c 'dpkg-query -W -f="\${Conffiles}" plasm | grep -q "/etc/plasm/plasmd.toml"'
check "plasmd.service enabled" test -L /etc/systemd/system/multi-user.target.wants/plasmd.service
check "/usr/bin/plasm resolves into /usr/lib/plasm" sh -c '[ "$(readlink -f /usr/bin/plasm)" = /usr/lib/plasm/bin/plasm ]'
check "man page and completion installed" sh -c 'man -w plasm | grep -q plasm.1 && test -f /usr/share/bash-completion/completions/plasm'

echo "== 2. plasm as the plasm user"
cd "$work"
check "plasm run hello as plasm" sh -c '
  out=$(setpriv --reuid=plasm --regid=plasm --init-groups env HOME=/var/lib/plasm plasm run /usr/share/doc/plasm/examples/hello.wasm -- world)
  [ "$out" = "$(printf "Hello from WebAssembly!\narg 1: world")" ]'
check "the AOT cache is accepted from /usr/lib/plasm (-XX:AOTMode=on)" \
  setpriv --reuid=plasm --regid=plasm --init-groups env HOME=/var/lib/plasm PLASM_JAVA_OPTS=-XX:AOTMode=on plasm --version

echo "== 3. the unit"
check "systemd-analyze verify" systemd-analyze verify /lib/systemd/system/plasmd.service
systemd-analyze security --offline=true /lib/systemd/system/plasmd.service >"$work/security.txt" 2>&1 || true
exposure=$(sed -n 's/.*Overall exposure level for plasmd.service: \([0-9.]*\).*/\1/p' "$work/security.txt")
check "systemd-analyze security: exposure ${exposure:-?} <= 2.0" python3 -c "import sys; sys.exit(not (0 <= float('${exposure:-99}') <= 2.0))"

echo "== 4. the installed daemon, started by hand as plasm with the installed config"
# The installed config, with its api.listen replaced by a free port: 8080 may be taken on a shared machine.
"${as_plasm[@]}" plasm daemon --config /etc/plasm/plasmd.toml --listen 127.0.0.1:0 >"$work/daemon.log" 2>&1 &
daemon_pid=$!
check "the daemon writes daemon.json" wait_for 60 test -s /var/lib/plasm/daemon.json
check "the launcher exec'd java: the daemon's pid is the JVM's" \
  sh -c "[ \"\$(readlink /proc/$daemon_pid/exe)\" = /usr/lib/plasm/bin/java ] && grep -q '\"pid\": $daemon_pid' /var/lib/plasm/daemon.json"
peer=$(as_plasm plasm identity show | awk '/^peer id:/ {print $3}')
cp /usr/share/doc/plasm/examples/hello.wasm "$work/hello.wasm"
chmod 644 "$work/hello.wasm"
mkdir -m 777 "$work/out"
check "plasm submit --wait: the job's output" sh -c "
  out=\$(setpriv --reuid=plasm --regid=plasm --init-groups env HOME=/var/lib/plasm PLASM_HOME=/var/lib/plasm plasm submit --wait --receipt $work/out/r1.json $work/hello.wasm -- installed)
  [ \"\$out\" = \"\$(printf 'Hello from WebAssembly!\narg 1: installed')\" ]"
check "its receipt verifies against the node's identity ($peer)" \
  as_plasm plasm receipt verify "$work/out/r1.json" --trust "$peer" --module "$work/hello.wasm"
as_plasm plasm jobs --json >"$work/jobs1.json" 2>"$work/jobs1.err" || true
job=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); j=d if isinstance(d,list) else d.get("jobs",[]); print(j[0]["id"] if j else "")' "$work/jobs1.json" 2>/dev/null || true)
check "plasm jobs lists the job" test -n "$job"
kill -TERM "$daemon_pid"
check "SIGTERM stops the daemon within 30 s" wait_for 30 sh -c "! kill -0 $daemon_pid"
daemon_pid=
check "no process of plasm is left (workers stopped with it)" sh -c '! pgrep -u plasm'
stop_plasm_processes
token_sha=$(sha /var/lib/plasm/token)
identity_sha=$(sha /var/lib/plasm/identity.key)

echo "== 5. plasmd.service under a real systemd (container booted from this machine's /usr and /etc)"
root=$work/nsroot
mkdir -p "$root"/{usr,etc,var,dev,proc,sys,run,tmp,root,home}
for l in bin lib lib64 sbin; do [ -L /$l ] && ln -s "usr/$l" "$root/$l"; done
cat >"$work/boot.sh" <<EOF
set -e
# Private mounts (unshare): nothing below is seen outside this test.
mkdir -p /run/systemd/nspawn
mount -t tmpfs tmpfs /run/systemd/nspawn
mount --bind /usr $root/usr
mount -o remount,bind,ro $root/usr
mount --bind /etc $root/etc
mount -o remount,bind,ro $root/etc
# /var is a fresh tmpfs (--volatile=state) with the installed state directory bound in; the network
# is the container's own (only lo), so the unit's default 127.0.0.1:8080 cannot collide.
exec systemd-nspawn -D $root --register=no --keep-unit --console=pipe --machine=plasm-install-test \\
  --volatile=state --link-journal=no --private-network --bind=/var/lib/plasm \\
  -b systemd.unit=basic.target systemd.wants=plasmd.service
EOF
unshare --mount --propagation private bash "$work/boot.sh" >"$work/nspawn.log" 2>&1 </dev/null &
nspawn_pid=$!
svc_pid=
find_service() { svc_pid=$(pgrep -u plasm -f 'dev.plasm.cli/dev.plasm.cli.Main daemon' | head -n 1) && [ -n "$svc_pid" ]; }
if wait_for 90 find_service && wait_for 60 sh -c 'grep -q "\"pid\"" /var/lib/plasm/daemon.json'; then
  ok "systemd started plasmd.service"
  init=$(ps -o ppid= -p "$svc_pid" | tr -d ' ')
  in_container() { nsenter -t "$init" -m -p -u -i -n "$@"; }
  check "the service runs as plasm, no capabilities, no new privileges, seccomp filter" sh -c "
    grep -q '^Uid:[[:space:]]*$(id -u plasm)[[:space:]]' /proc/$svc_pid/status &&
    grep -q '^CapEff:[[:space:]]*0000000000000000' /proc/$svc_pid/status &&
    grep -q '^CapBnd:[[:space:]]*0000000000000000' /proc/$svc_pid/status &&
    grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$svc_pid/status && grep -q '^Seccomp:[[:space:]]*2' /proc/$svc_pid/status"
  check "the service has a private /tmp and a read-only /usr" sh -c "
    [ \"\$(readlink /proc/$svc_pid/ns/mnt)\" != \"\$(readlink /proc/$init/ns/mnt)\" ] &&
    grep -E ' /usr [^ ]+ ro,' /proc/$svc_pid/mountinfo >/dev/null && grep -E ' /tmp ' /proc/$svc_pid/mountinfo >/dev/null"
  # As docs/install.md says: plasm, with nothing but the installed config, finds the service and its token.
  check "a job through the hardened service (submitted in the container's network)" sh -c "
    out=\$(nsenter -t $svc_pid -n setpriv --reuid=plasm --regid=plasm --init-groups env HOME=/var/lib/plasm plasm submit --wait --receipt $work/out/r2.json $work/hello.wasm -- service)
    [ \"\$out\" = \"\$(printf 'Hello from WebAssembly!\narg 1: service')\" ]"
  check "its receipt is signed by the same node identity" as_plasm plasm receipt verify "$work/out/r2.json" --trust "$peer" --module "$work/hello.wasm"
  check "the journal has the daemon's log (journalctl -u plasmd)" sh -c "nsenter -t $init -m -p -u -i -n journalctl -u plasmd --no-pager | grep -q 'plasm daemon listening'"
  in_container systemctl stop plasmd.service >/dev/null 2>&1 || true
  check "systemctl stop: a clean stop (Result=success)" sh -c "nsenter -t $init -m -p -u -i -n systemctl show plasmd.service -p Result -p ActiveState | sort | tr '\n' ' ' | grep -q 'ActiveState=inactive Result=success'"
  in_container journalctl -u plasmd --no-pager >"$work/service-journal.txt" 2>&1 || true
else
  bad "systemd started plasmd.service (see below)"
  tail -n 30 "$work/nspawn.log" | sed 's/^/     /'
fi
kill -TERM "$nspawn_pid" 2>/dev/null || true
wait_for 30 sh -c "! kill -0 $nspawn_pid" || kill -KILL "$nspawn_pid" 2>/dev/null || true
nspawn_pid=
check "the container is gone and took the service with it" sh -c '! pgrep -u plasm'
stop_plasm_processes

echo "== 6. upgrade to a rebuilt package"
# The admin changes the config; the new package has a changed conffile too (dpkg then keeps the admin's).
sed -i 's/^# concurrency = 2 .*/concurrency = 1   # changed by the admin/' /etc/plasm/plasmd.toml
old_version=$(dpkg-query -W -f='${Version}' plasm)
new_version="${old_version}+rebuilt1"
dpkg-deb -R "$deb" "$work/rebuild"
sed -i "s/^Version: .*/Version: $new_version/" "$work/rebuild/DEBIAN/control"
echo "# (rebuilt for the install test's upgrade)" >>"$work/rebuild/etc/plasm/plasmd.toml"
(cd "$work/rebuild" && find . -path ./DEBIAN -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum | sed 's|  \./|  |') >"$work/rebuild/DEBIAN/md5sums"
dpkg-deb --root-owner-group -Zgzip --build "$work/rebuild" "$work/plasm-rebuilt.deb" >/dev/null
check "dpkg -i the rebuilt package ($new_version)" dpkg -i --force-confdef --force-confold "$work/plasm-rebuilt.deb"
check "version upgraded" sh -c "[ \"\$(dpkg-query -W -f='\${Version}' plasm)\" = '$new_version' ]"
check "the admin's plasmd.toml is kept (the package's is beside it)" sh -c 'grep -q "changed by the admin" /etc/plasm/plasmd.toml && test -f /etc/plasm/plasmd.toml.dpkg-dist'
check "identity.key and token unchanged" sh -c "[ \$(sha256sum </var/lib/plasm/identity.key | cut -d' ' -f1) = $identity_sha ] && [ \$(sha256sum </var/lib/plasm/token | cut -d' ' -f1) = $token_sha ]"
check "state still private to plasm" sh -c '[ "$(stat -c "%U:%G %a" /var/lib/plasm)" = "plasm:plasm 700" ]'
"${as_plasm[@]}" plasm daemon --config /etc/plasm/plasmd.toml --listen 127.0.0.1:0 >"$work/daemon2.log" 2>&1 &
daemon_pid=$!
rm -f "$work/out/r3.json"
wait_for 60 grep -q "\"pid\": $daemon_pid" /var/lib/plasm/daemon.json || true
check "after the upgrade the daemon has the job and its receipt" sh -c "
  setpriv --reuid=plasm --regid=plasm --init-groups env HOME=/var/lib/plasm PLASM_HOME=/var/lib/plasm plasm job receipt $job >$work/out/r3.json"
check "that receipt still verifies against the same identity" as_plasm plasm receipt verify "$work/out/r3.json" --trust "$peer" --module "$work/hello.wasm"
check "the same peer id after the upgrade" sh -c "[ \"\$(setpriv --reuid=plasm --regid=plasm --init-groups env HOME=/var/lib/plasm PLASM_HOME=/var/lib/plasm plasm identity show | awk '/^peer id:/ {print \$3}')\" = '$peer' ]"
kill -TERM "$daemon_pid"
wait_for 30 sh -c "! kill -0 $daemon_pid" || true
daemon_pid=
stop_plasm_processes

echo "== 7. remove, then purge"
check "dpkg -r" dpkg -r plasm
check "remove: programs gone" sh -c '! test -e /usr/lib/plasm && ! test -e /usr/bin/plasm && ! test -e /lib/systemd/system/plasmd.service'
check "remove: config and state kept" sh -c 'test -f /etc/plasm/plasmd.toml && test -f /var/lib/plasm/identity.key && test -f /var/lib/plasm/token'
check "dpkg --purge" dpkg --purge plasm
check "purge: config, state and the unit's enablement gone" sh -c '! test -e /etc/plasm && ! test -e /var/lib/plasm && ! test -e /etc/systemd/system/multi-user.target.wants/plasmd.service'
# (man-db's cache of formatted pages, /var/cache/man, is man-db's own and expires there.)
check "purge: nothing of the package is left" sh -c '! dpkg-query -W plasm 2>/dev/null && left=$(find /etc /usr /lib /var/lib /var/cache /var/log -name "*plasm*" -not -path "/var/lib/dpkg/*" -not -path "/var/cache/man/*" 2>/dev/null) && echo "$left" && [ -z "$left" ]'
check "purge: the plasm user stays (Debian practice)" getent passwd plasm

echo "install-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
