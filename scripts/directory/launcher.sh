#!/bin/sh
# peerdir-directory: runs the peerdir directory on workerd, self-hosted. POSIX sh and coreutils
# only: no Node.js, no npm. Installed as bin/peerdir-directory of the release tarball and of
# dist/directory (`peerdir serve`); the configs beside it come from scripts/directory/config.mjs.
#
# It checks everything before it starts workerd, so it never runs half-configured: one line and
# a non-zero exit for a bad secret, data directory, TLS file or taken port. Secrets reach workerd
# only through its environment (fromEnvironment bindings), never through a file it writes.
set -u

prog=peerdir-directory
usage="usage: $prog --listen HOST:PORT --data DIR [--tls-cert FILE --tls-key FILE] [--secrets-file FILE]

Runs the peerdir directory on this host.
  --listen HOST:PORT   address to serve on (port 0: any free port; the ready line says which)
  --data DIR           where the clusters are stored (created if missing; back it up)
  --tls-cert FILE      PEM certificate chain: serve HTTPS and WSS (with --tls-key)
  --tls-key FILE       PEM private key
  --secrets-file FILE  KEY=value lines; overrides the environment. Keys: ADMIN_TOKEN (required),
                       TOKEN_KEY (required, >= 32 characters), ADMIN_READ_TOKEN, TOKEN_KEY_PREVIOUS
  --version, --help
Logs one line \"$prog: ready at URL\" once it serves. SIGTERM stops it: requests in flight
are answered, and connections still open after PEERDIR_STOP_GRACE_SECONDS (5) are closed."

fail() {
  printf '%s: %s\n' "$prog" "$1" >&2
  exit "${2:-1}"
}

self=$(readlink -f "$0") || fail "cannot resolve where $0 is installed"
home=$(dirname "$(dirname "$self")")
workerd=${PEERDIR_WORKERD:-$home/libexec/workerd}
version=$(cat "$home/VERSION" 2>/dev/null) || version=unknown

listen="" data="" cert="" key="" secrets=""
while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    --help | -h) printf '%s\n' "$usage"; exit 0 ;;
    --version) printf '%s %s\n' "$prog" "$version"; exit 0 ;;
    --*=*) value=${opt#*=}; opt=${opt%%=*}; shift ;;
    --*)
      [ $# -ge 2 ] || fail "$opt needs a value (see --help)" 2
      value=$2; shift 2 ;;
    *) fail "unexpected argument \"$opt\" (see --help)" 2 ;;
  esac
  case $opt in
    --listen) listen=$value ;;
    --data) data=$value ;;
    --tls-cert) cert=$value ;;
    --tls-key) key=$value ;;
    --secrets-file) secrets=$value ;;
    *) fail "unknown option $opt (see --help)" 2 ;;
  esac
done

[ -n "$listen" ] || fail "--listen HOST:PORT is required (see --help)" 2
[ -n "$data" ] || fail "--data DIR is required (see --help)" 2
port=${listen##*:}
host=${listen%:*}
case $port in '' | *[!0-9]*) fail "--listen must be HOST:PORT, not \"$listen\"" 2 ;; esac
[ -n "$host" ] && [ "$host" != "$listen" ] || fail "--listen must be HOST:PORT, not \"$listen\"" 2
[ "$port" -le 65535 ] || fail "--listen: port $port is out of range" 2

# Secrets: the environment, then the file's lines (KEY=value; blank lines and # comments skipped).
if [ -n "$secrets" ]; then
  [ -f "$secrets" ] && [ -r "$secrets" ] || fail "cannot read the secrets file $secrets"
  mode=$(stat -c %a "$secrets") || fail "cannot stat the secrets file $secrets"
  case $mode in *[4567]) fail "the secrets file $secrets is readable by other users (mode $mode): chmod 600 it" ;; esac
  line_no=0
  while IFS= read -r line || [ -n "$line" ]; do
    line_no=$((line_no + 1))
    line=${line%"$(printf '\r')"}
    case $line in '' | '#'*) continue ;; esac
    name=${line%%=*}
    value=${line#*=}
    [ "$name" != "$line" ] || fail "$secrets line $line_no is not KEY=value"
    case $name in
      ADMIN_TOKEN | ADMIN_READ_TOKEN | TOKEN_KEY | TOKEN_KEY_PREVIOUS) export "$name=$value" ;;
      *) fail "$secrets line $line_no: unknown key \"$name\" (ADMIN_TOKEN, ADMIN_READ_TOKEN, TOKEN_KEY, TOKEN_KEY_PREVIOUS)" ;;
    esac
  done <"$secrets"
fi
[ -n "${TOKEN_KEY:-}" ] || fail "TOKEN_KEY is not set: put a random key of at least 32 characters in the environment or the --secrets-file (e.g. head -c 32 /dev/urandom | base64)"
[ "${#TOKEN_KEY}" -ge 32 ] || fail "TOKEN_KEY is ${#TOKEN_KEY} characters; it must be at least 32"
[ -z "${TOKEN_KEY_PREVIOUS:-}" ] || [ "${#TOKEN_KEY_PREVIOUS}" -ge 32 ] || fail "TOKEN_KEY_PREVIOUS is ${#TOKEN_KEY_PREVIOUS} characters; it must be at least 32"
[ -n "${ADMIN_TOKEN:-}" ] || fail "ADMIN_TOKEN is not set: without it no cluster can be created; put one in the environment or the --secrets-file"
[ "${#ADMIN_TOKEN}" -ge 16 ] || fail "ADMIN_TOKEN is ${#ADMIN_TOKEN} characters; it must be at least 16"
export TOKEN_KEY ADMIN_TOKEN

# TLS: both files or neither, each readable now (workerd reads them once, at start).
if [ -n "$cert" ] || [ -n "$key" ]; then
  [ -n "$cert" ] && [ -n "$key" ] || fail "--tls-cert and --tls-key go together"
  for f in "$cert" "$key"; do
    [ -f "$f" ] && head -c 1 "$f" >/dev/null 2>&1 || fail "cannot read the TLS file $f"
  done
  scheme=https config=https.capnp
else
  scheme=http config=http.capnp
fi

# The data directory: created if missing, and really writable (a test file, not the mode bits).
mkdir -p "$data" 2>/dev/null || fail "cannot create the data directory $data"
data=$(readlink -f "$data")
probe="$data/.peerdir-write-check.$$"
# (A subshell: a failed redirection would end the shell itself, with no word.)
(: >"$probe") 2>/dev/null || fail "the data directory $data is not writable by $(id -un 2>/dev/null || id -u)"
rm -f "$probe"

# The port: refused if something on this host already listens on it (any address; /proc/net).
if [ "$port" -ne 0 ]; then
  hex=$(printf '%04X' "$port")
  # A listening socket's row has the port after the local address and a zero remote address.
  # One pattern match on the whole table: the shell's `read` takes a byte per system call.
  tables=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  case $tables in
    *":$hex 00000000:0000 0A "* | *":$hex 00000000000000000000000000000000:0000 0A "*)
      fail "port $port is already in use on this host: stop what listens there or choose another --listen" ;;
  esac
fi

[ -x "$workerd" ] || fail "the workerd binary $workerd is missing or not executable"

# A private run directory: the config and its modules, and links to the TLS files, which the
# https config embeds by relative name. Removed on exit.
run=$(mktemp -d "${TMPDIR:-/tmp}/peerdir-directory.XXXXXX") || fail "cannot create a run directory in ${TMPDIR:-/tmp}"
pid=""
cleanup() {
  rm -rf "$run"
}
trap cleanup EXIT
for f in "$config" peerdir.js limiter.js; do ln -s "$home/lib/$f" "$run/$f"; done
if [ "$scheme" = https ]; then
  ln -s "$(readlink -f "$cert")" "$run/tls-cert.pem"
  ln -s "$(readlink -f "$key")" "$run/tls-key.pem"
fi
mkfifo "$run/control" || fail "cannot create a control pipe in $run"

# workerd reports on the control pipe once its socket listens, with the port it got.
"$workerd" serve "$run/$config" --socket-addr "http=$listen" --directory-path "data=$data" --control-fd 3 3>"$run/control" </dev/null &
pid=$!
# A stop: workerd stops accepting and drains what is in flight, but a watch socket or a
# long-poll would hold it for minutes. Every acknowledged write is already in SQLite, so after
# the grace period the rest is cut (agents re-attach when the directory is back).
grace=${PEERDIR_STOP_GRACE_SECONDS:-5}
stopping=""
stop() {
  [ -z "$stopping" ] || return 0
  stopping=1
  kill -TERM "$pid" 2>/dev/null
  (sleep "$grace" && kill -KILL "$pid" 2>/dev/null && printf '%s: connections still open after %s s were closed\n' "$prog" "$grace" >&2) &
  killer=$!
}
trap stop TERM INT HUP
exec 4<"$run/control"
ready=""
while IFS= read -r event <&4; do
  case $event in
    *'"event":"listen"'*'"port":'*)
      got=${event##*'"port":'}
      got=${got%%[!0-9]*}
      ready="$scheme://$host:$got"
      break ;;
  esac
done
if [ -z "$ready" ]; then
  wait "$pid"
  fail "workerd stopped before it was ready (exit $?; its reason is above)"
fi
printf '%s: ready at %s (peerdir %s, data %s)\n' "$prog" "$ready" "$version" "$data" >&2

# Wait for workerd; a signal interrupts `wait`, is forwarded, and the loop waits again.
status=0
while kill -0 "$pid" 2>/dev/null; do
  wait "$pid"
  status=$?
done
exec 4<&-
if [ -n "$stopping" ]; then
  kill "$killer" 2>/dev/null
  printf '%s: stopped\n' "$prog" >&2
  exit 0
fi
exit "$status"
