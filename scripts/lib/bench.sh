# shellcheck shell=bash
# The test bench, shared by scripts/test, scripts/bench and scripts/demo (source it; don't run it).
#
# The bench is: Debian's pcscd with the vsmartcard vpcd driver (readers "Virtual PCD 00 00" on TCP
# 35963 and "Virtual PCD 00 01" on 35964), our virtual YubiKey (tests/vcard) connected to a reader,
# moto serving IAM/STS on 127.0.0.1, and a Python venv holding moto and boto3.
#
# Every process started here is recorded in $BENCH_DIR/pids/NAME, and bench_stop_started stops
# exactly those, by PID. A pcscd that was already running is used and left alone.

BENCH_ROOT=${BENCH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BENCH_DIR=${BENCH_DIR:-$BENCH_ROOT/.bench}
BENCH_VENV=$BENCH_DIR/venv
BENCH_PACKAGES=(pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools yubikey-manager python3-venv pkg-config libdbus-1-dev awscli fish strace
  dbus-daemon dbus-bin gnome-keyring libsecret-tools python3-dbus python3-gi zsh man-db
  libclang-dev)
BENCH_PYTHON_REQUIREMENTS=$BENCH_ROOT/scripts/requirements-bench.txt
BENCH_READER="Virtual PCD 00 00"
BENCH_EMPTY_READER="Virtual PCD 00 01"
BENCH_VPCD_PORT=35963
BENCH_VPCD_PORT2=35964
PCSCD_SOCKET=/run/pcscd/pcscd.comm
PCSCD_PIDFILE=/run/pcscd/pcscd.pid
BENCH_STARTED=()

say() { printf '\033[1mbench:\033[0m %s\n' "$*" >&2; }
[ -n "${NO_COLOR:-}" ] || [ ! -t 2 ] && say() { printf 'bench: %s\n' "$*" >&2; }
die() {
  printf 'bench: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '  hint: %s\n' "$2" >&2
  exit 1
}

# --- packages ----------------------------------------------------------------------------------

bench_missing_packages() {
  local p missing=()
  for p in "${BENCH_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # Commands the tests run, wherever they come from: only when missing, Debian's package.
  # kubectl runs `mfa eks-token` as its exec plugin (tests/eks_token.rs); openssl makes the
  # test API server's certificate.
  command -v kubectl >/dev/null || missing+=(kubernetes-client)
  command -v openssl >/dev/null || missing+=(openssl)
  # curl drives the IAM test wrapper's fault switches (tests/common/iam.rs).
  command -v curl >/dev/null || missing+=(curl)
  echo "${missing[@]}"
}

bench_install_packages() {
  local missing
  missing=$(bench_missing_packages)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: $missing" \
      "as root run: apt-get update && apt-get install -y $missing"
  fi
  say "installing $missing"
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

bench_venv() {
  local stamp=$BENCH_VENV/.requirements
  if [ -x "$BENCH_VENV/bin/moto_server" ] && cmp -s "$BENCH_PYTHON_REQUIREMENTS" "$stamp"; then
    return 0
  fi
  say "creating the Python venv in $BENCH_VENV (moto, boto3)"
  python3 -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install -q --disable-pip-version-check -r "$BENCH_PYTHON_REQUIREMENTS"
  cp "$BENCH_PYTHON_REQUIREMENTS" "$stamp"
}

# --- processes ---------------------------------------------------------------------------------

# bench_alive NAME PID: the process PID exists and its command line contains NAME.
bench_alive() {
  [ -n "${2:-}" ] && [ -r "/proc/$2/cmdline" ] && tr '\0' ' ' <"/proc/$2/cmdline" | grep -q -- "$1"
}

# bench_started NAME: the PID of a process this bench started and that still runs, or nothing.
bench_started() {
  local pid
  pid=$(cat "$BENCH_DIR/pids/$1" 2>/dev/null) || return 0
  bench_alive "$(cat "$BENCH_DIR/pids/$1.cmd" 2>/dev/null)" "$pid" && echo "$pid"
}

# bench_spawn NAME LOG CMD...: start CMD in its own session (Ctrl-C on the terminal does not reach
# it; we stop it), record its PID.
bench_spawn() {
  local name=$1 log=$2
  shift 2
  mkdir -p "$BENCH_DIR/pids" "$BENCH_DIR/logs"
  setsid "$@" >"$log" 2>&1 </dev/null &
  echo $! >"$BENCH_DIR/pids/$name"
  basename "$1" >"$BENCH_DIR/pids/$name.cmd"
  BENCH_STARTED+=("$name")
}

# bench_stop NAME: stop the process recorded as NAME, by its PID, if it is still ours.
bench_stop() {
  local name=$1 pid i
  pid=$(bench_started "$name")
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    say "stopped $name (pid $pid)"
  fi
  rm -f "$BENCH_DIR/pids/$name" "$BENCH_DIR/pids/$name.cmd"
}

# bench_wait SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.1 s until it succeeds.
bench_wait() {
  local seconds=$1 what=$2 i
  shift 2
  for i in $(seq $((seconds * 10))); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# A TCP port in LISTEN state on any local address (never connect to vpcd's ports: that inserts a card).
bench_listening() {
  local hex
  hex=$(printf ':%04X ' "$1")
  awk '$4 == "0A" { print $2 " " }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q -- "$hex"
}

# --- pcscd ---------------------------------------------------------------------------------------

# pcscd writes its pid file with a trailing NUL byte.
bench_pcscd_pid() {
  [ -r "$PCSCD_PIDFILE" ] && tr -dc '0-9' <"$PCSCD_PIDFILE"
}

bench_pcscd_running() {
  bench_alive pcscd "$(bench_pcscd_pid)" && [ -S "$PCSCD_SOCKET" ]
}

bench_pcscd_up() {
  if bench_pcscd_running; then
    bench_listening "$BENCH_VPCD_PORT" ||
      die "pcscd (pid $(bench_pcscd_pid)) runs without the vpcd driver" \
        "it was started before vsmartcard-vpcd was installed: restart pcscd"
    [ -n "$(bench_started pcscd)" ] || say "using the pcscd that is already running (pid $(bench_pcscd_pid))"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "pcscd is not running, and only root can start it" \
    "start it as root: pcscd --foreground &  (or run this script as root)"
  # A killed pcscd leaves its socket and pid file behind; a new one refuses to start over them.
  rm -f "$PCSCD_SOCKET" "$PCSCD_PIDFILE"
  mkdir -p /run/pcscd
  bench_spawn pcscd "$BENCH_DIR/logs/pcscd.log" pcscd --foreground
  bench_wait 10 "pcscd socket" test -S "$PCSCD_SOCKET" ||
    die "pcscd did not start (no $PCSCD_SOCKET after 10 s)" "see $BENCH_DIR/logs/pcscd.log"
  bench_wait 10 "vpcd" bench_listening "$BENCH_VPCD_PORT" ||
    die "the vpcd driver is not listening on port $BENCH_VPCD_PORT" \
      "check /etc/reader.conf.d/vpcd and $BENCH_DIR/logs/pcscd.log"
  say "started pcscd (pid $(bench_started pcscd))"
}

bench_pcscd_down() {
  [ -n "$(bench_started pcscd)" ] || return 0
  bench_stop pcscd
  rm -f "$PCSCD_SOCKET" "$PCSCD_PIDFILE"
}

# --- moto ------------------------------------------------------------------------------------------

bench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_http_ok() {
  curl -s -o /dev/null --max-time 1 "$1"
}

bench_moto_up() {
  local port url
  if [ -n "$(bench_started moto)" ] && [ -f "$BENCH_DIR/moto.url" ]; then
    return 0
  fi
  port=$(bench_free_port)
  url="http://127.0.0.1:$port"
  bench_spawn moto "$BENCH_DIR/logs/moto.log" "$BENCH_VENV/bin/moto_server" -H 127.0.0.1 -p "$port"
  bench_wait 30 "moto" bench_http_ok "$url/moto-api/" ||
    die "moto did not answer on $url within 30 s" "see $BENCH_DIR/logs/moto.log"
  echo "$url" >"$BENCH_DIR/moto.url"
  say "started moto on $url (pid $(bench_started moto))"
}

bench_moto_down() {
  bench_stop moto
  rm -f "$BENCH_DIR/moto.url"
}

# --- the virtual YubiKey as a standalone process (for ykman and the demo) ------------------------

bench_vcard_up() {
  local bin=${BENCH_VYUBIKEY:-$BENCH_ROOT/target/debug/vyubikey}
  [ -x "$bin" ] || die "$bin is not built" "run: cargo build -p mfa-vcard"
  bench_spawn vyubikey "$BENCH_DIR/logs/vyubikey.log" "$bin" --port "$BENCH_VPCD_PORT" \
    --control "$BENCH_DIR/vyubikey.sock" "$@"
  bench_wait 10 "card" bench_card_present "$BENCH_READER" ||
    die "pcscd does not see the virtual YubiKey in \"$BENCH_READER\"" "see $BENCH_DIR/logs/vyubikey.log"
  # pcscd may report the card before a client can connect to it: wait until it answers.
  bench_wait 10 "card ready" bench_card_answers "$BENCH_READER" ||
    die "the virtual YubiKey in \"$BENCH_READER\" does not answer" "see $BENCH_DIR/logs/vyubikey.log"
  say "inserted the virtual YubiKey in \"$BENCH_READER\" (pid $(bench_started vyubikey))"
}

bench_vcard_down() {
  bench_stop vyubikey
  rm -f "$BENCH_DIR/vyubikey.sock"
  # pcscd polls the reader; wait until it has seen the card go, so the next test starts clean.
  bench_pcscd_running && bench_wait 10 "card removal" bench_card_absent "$BENCH_READER"
  return 0
}

bench_card_present() {
  timeout 5 pcsc_scan -c 2>/dev/null | grep -A2 -F "$1" | grep -q 'Card inserted'
}

bench_card_answers() {
  HOME=$BENCH_DIR ykman -r "$1" info </dev/null >/dev/null 2>&1
}

bench_card_absent() {
  ! bench_card_present "$1"
}

# --- the virtual Nitrokey 3 (tests/nkcard) ---------------------------------------------------------

# Nitrokey's secrets app on trussed's virtual platform: its own Cargo workspace (trussed and
# littlefs2, whose build runs bindgen and so needs libclang-dev), built once in release into
# $BENCH_DIR/nkcard-target; later runs are a no-op check. The tests insert it when they need it
# (tests/common/nitrokey.rs).
BENCH_NKCARD_TARGET=$BENCH_DIR/nkcard-target
BENCH_NKCARD_BIN=$BENCH_NKCARD_TARGET/release/vnitrokey

bench_nkcard_build() {
  if [ ! -x "$BENCH_NKCARD_BIN" ]; then
    say "building the virtual Nitrokey 3 (tests/nkcard, once; about a minute)"
  fi
  cargo build --quiet --release --locked --manifest-path "$BENCH_ROOT/tests/nkcard/Cargo.toml" \
    --target-dir "$BENCH_NKCARD_TARGET" ||
    die "cannot build the virtual Nitrokey 3 (tests/nkcard)" "is libclang-dev installed? see docs/test-bench.md"
}

# --- everything ----------------------------------------------------------------------------------

bench_env() {
  export MFA_BENCH_READER=$BENCH_READER
  export MFA_BENCH_EMPTY_READER=$BENCH_EMPTY_READER
  export MFA_BENCH_VPCD_PORT=$BENCH_VPCD_PORT
  export MFA_BENCH_VPCD_PORT2=$BENCH_VPCD_PORT2
  MFA_BENCH_MOTO_URL=$(cat "$BENCH_DIR/moto.url" 2>/dev/null || true)
  export MFA_BENCH_MOTO_URL
  export MFA_BENCH_VENV=$BENCH_VENV
  export MFA_BENCH_NKCARD=$BENCH_NKCARD_BIN
}

bench_up() {
  mkdir -p "$BENCH_DIR/pids" "$BENCH_DIR/logs"
  bench_install_packages
  bench_venv
  bench_nkcard_build
  bench_pcscd_up
  bench_moto_up
  bench_env
}

# Stops what this shell started (BENCH_STARTED, and only that), in reverse order.
bench_down() {
  local i name
  for ((i = ${#BENCH_STARTED[@]} - 1; i >= 0; i--)); do
    name=${BENCH_STARTED[i]}
    case $name in
      vyubikey) bench_vcard_down ;;
      moto) bench_moto_down ;;
      pcscd) bench_pcscd_down ;;
      *) bench_stop "$name" ;;
    esac
  done
  BENCH_STARTED=()
}
