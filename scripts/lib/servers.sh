# Helpers to install and start real FTP servers on loopback for the demo and the tests.
# Source this file (bash); every server started here is stopped, and every temporary
# folder removed, when the calling script exits; on a failing exit the servers' logs
# are printed. Servers are installed by this script itself, never by hand:
# pyftpdlib from PyPI into a venv, vsftpd/proftpd/pure-ftpd as Debian packages
# unpacked under $FTP_RS_STATE (see ensure_ftp_servers). scripts/README.md lists
# the functions, the variables they set and the manifest format.

FTP_RS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FTP_RS_STATE="${FTP_RS_STATE:-$FTP_RS_ROOT/target/ftp-servers}"
FTP_RS_USER="${FTP_RS_USER:-ftprs}"
FTP_RS_PASSWORD="${FTP_RS_PASSWORD:-ftprs-test-password}"
FTP_RS_ANON_USER="${FTP_RS_ANON_USER:-ftprs-anon}"
FTP_RS_TLS_NAME=localhost
_ftp_rs_lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_ftp_rs_pids=()
_ftp_rs_dirs=()
_ftp_rs_server_dirs=()
_ftp_rs_run=
_ftp_rs_servers_ensured=
_ftp_rs_user_ensured=
# The system's python3 when there is one: it starts faster than a pyenv shim.
_ftp_rs_python=python3
[ -x /usr/bin/python3 ] && _ftp_rs_python=/usr/bin/python3
_ftp_rs_pasv_next=

_ftp_rs_cleanup() {
    local status=$?
    local pid dir log
    if [ "$status" != 0 ] && [ ${#_ftp_rs_server_dirs[@]} -gt 0 ]; then
        echo "== exit status $status: the servers' logs (last 40 lines each)" >&2
        for dir in "${_ftp_rs_server_dirs[@]}"; do
            for log in "$dir"/*.log; do
                [ -s "$log" ] || continue
                echo "---- $log" >&2
                tail -n 40 "$log" >&2
            done
        done
    fi
    # Each server runs in its own process group (sessions included); a restarted one
    # (restart_server) has its new pid in its folder's `pid` file.
    for dir in "${_ftp_rs_server_dirs[@]}"; do
        [ -s "$dir/pid" ] && kill -- "-$(cat "$dir/pid")" 2>/dev/null || true
    done
    for pid in "${_ftp_rs_pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
    for pid in "${_ftp_rs_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for dir in "${_ftp_rs_dirs[@]}"; do rm -rf "$dir"; done
    return "$status"
}
trap _ftp_rs_cleanup EXIT
# Without these a SIGINT/SIGTERM would end the shell without running the EXIT trap.
trap 'exit 130' INT
trap 'exit 143' TERM

# A TCP port on 127.0.0.1 (or ::1 with `free_port 6`) that nothing listens on right now.
free_port() {
    local family=${1:-4}
    "$_ftp_rs_python" -c '
import socket, sys
fam, host = (socket.AF_INET6, "::1") if sys.argv[1] == "6" else (socket.AF_INET, "127.0.0.1")
s = socket.socket(fam); s.bind((host, 0)); print(s.getsockname()[1]); s.close()' "$family"
}

# Waits until HOST:PORT (default host 127.0.0.1) accepts connections while process PID
# lives, or fails after about 20 s; on failure prints LOG.
wait_for_port() {
    local port=$1 pid=$2 log=$3 host=${4:-127.0.0.1}
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "server exited before listening on $host port $port; its log ($log):" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "server did not listen on $host port $port in time; its log ($log):" >&2
    cat "$log" >&2
    return 1
}

# ---------------------------------------------------------------------------------------
# Installing

# The packages of the real servers, each unpacked into its own folder under $FTP_RS_STATE
# (never `apt-get install`ed: they conflict with each other and would start a daemon on port 21),
# and the shared libraries they need (installed normally).
FTP_RS_SERVER_DEBS=(vsftpd proftpd-core proftpd-mod-crypto pure-ftpd pure-ftpd-common)
FTP_RS_SERVER_LIBS=(libwrap0 libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23
    libpam-modules libcap2 libssl3 openssl curl passwd)

_ftp_rs_require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "$1 needs root (it installs packages, adds a test user and runs vsftpd/proftpd)" >&2
        return 1
    fi
}

_ftp_rs_apt_updated=
_ftp_rs_apt_update() {
    if [ -z "$_ftp_rs_apt_updated" ]; then
        echo "== apt-get update" >&2
        apt-get update -qq >&2
        _ftp_rs_apt_updated=1
    fi
}

# Installs what the real servers need, once: their libraries with apt-get, and the server
# packages themselves unpacked with `dpkg-deb -x` into $FTP_RS_STATE/<package>/. A second
# call finds everything in place and touches neither apt nor the network. Sets
# FTP_RS_VSFTPD, FTP_RS_PROFTPD, FTP_RS_PUREFTPD (the binaries).
ensure_ftp_servers() {
    [ -n "$_ftp_rs_servers_ensured" ] && return 0
    _ftp_rs_require_root ensure_ftp_servers || return 1
    mkdir -p "$FTP_RS_STATE"
    local missing_libs=() missing_debs=() pkg
    for pkg in "${FTP_RS_SERVER_LIBS[@]}"; do
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
            missing_libs+=("$pkg")
        fi
    done
    for pkg in "${FTP_RS_SERVER_DEBS[@]}"; do
        [ -e "$FTP_RS_STATE/$pkg/.unpacked" ] || missing_debs+=("$pkg")
    done
    if [ ${#missing_libs[@]} -gt 0 ]; then
        _ftp_rs_apt_update
        echo "== apt-get install ${missing_libs[*]}" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing_libs[@]}" >&2
    fi
    if [ ${#missing_debs[@]} -gt 0 ]; then
        _ftp_rs_apt_update
        local debs="$FTP_RS_STATE/debs"
        rm -rf "$debs" && mkdir -p "$debs"
        # apt fetches as the user _apt when it can write there (else it warns).
        if id _apt >/dev/null 2>&1; then chown _apt "$debs"; fi
        echo "== apt-get download ${missing_debs[*]}" >&2
        (cd "$debs" && apt-get download -qq "${missing_debs[@]}" >&2)
        for pkg in "${missing_debs[@]}"; do
            rm -rf "${FTP_RS_STATE:?}/$pkg"
            mkdir -p "$FTP_RS_STATE/$pkg"
            dpkg-deb -x "$debs/${pkg}"_*.deb "$FTP_RS_STATE/$pkg"
            dpkg-deb -f "$debs/${pkg}"_*.deb Version >"$FTP_RS_STATE/$pkg/.unpacked"
        done
        rm -rf "$debs"
    fi
    FTP_RS_VSFTPD="$FTP_RS_STATE/vsftpd/usr/sbin/vsftpd"
    FTP_RS_PROFTPD="$FTP_RS_STATE/proftpd-core/usr/sbin/proftpd"
    FTP_RS_PUREFTPD="$FTP_RS_STATE/pure-ftpd/usr/sbin/pure-ftpd"
    _ftp_rs_servers_ensured=1
}

# Installs pyftpdlib (and pyopenssl, for its TLS handler) from PyPI into a venv of the
# project's own (once). Sets PYFTPDLIB_PYTHON. Needs no root.
ensure_pyftpdlib() {
    local venv="$FTP_RS_STATE/pyftpdlib-venv"
    [ -n "${PYFTPDLIB_PYTHON:-}" ] && [ "$PYFTPDLIB_PYTHON" = "$venv/bin/python" ] && return 0
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyftpdlib, OpenSSL' 2>/dev/null; then
        mkdir -p "$FTP_RS_STATE"
        if ! python3 -m venv "$venv" 2>/dev/null; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            python3 -m venv "$venv"
        fi
        "$venv/bin/pip" install -q --disable-pip-version-check 'pyftpdlib>=2,<3' 'pyopenssl' >&2
    fi
    PYFTPDLIB_PYTHON="$venv/bin/python"
}

# The system user the servers log in (vsftpd and proftpd authenticate through the system;
# pure-ftpd and pyftpdlib get a virtual user of the same name and password): created once,
# its password (re)set every time, its shell listed in /etc/shells (PAM pam_shells), and
# not listed in /etc/ftpusers. Uses FTP_RS_USER / FTP_RS_PASSWORD. Also a system user
# FTP_RS_ANON_USER (no login, home /) as whom vsftpd serves anonymous sessions: vsftpd
# needs its home to exist (nobody's /nonexistent fails) and the root not writable by it.
# And the PAM service `ftp-rs-vsftpd`, a copy of vsftpd's own.
ensure_test_user() {
    [ -n "$_ftp_rs_user_ensured" ] && return 0
    _ftp_rs_require_root ensure_test_user || return 1
    local shell=/bin/bash
    if ! id "$FTP_RS_USER" >/dev/null 2>&1; then
        useradd --create-home --shell "$shell" "$FTP_RS_USER"
    fi
    echo "$FTP_RS_USER:$FTP_RS_PASSWORD" | chpasswd
    shell="$(getent passwd "$FTP_RS_USER" | cut -d: -f7)"
    grep -qxF "$shell" /etc/shells || echo "$shell" >>/etc/shells
    if [ -f /etc/ftpusers ] && grep -qxF "$FTP_RS_USER" /etc/ftpusers; then
        sed -i "/^${FTP_RS_USER}\$/d" /etc/ftpusers
    fi
    if ! id "$FTP_RS_ANON_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin "$FTP_RS_ANON_USER"
    fi
    if [ -f "$FTP_RS_STATE/vsftpd/etc/pam.d/vsftpd" ] &&
        ! cmp -s "$FTP_RS_STATE/vsftpd/etc/pam.d/vsftpd" /etc/pam.d/ftp-rs-vsftpd; then
        cp "$FTP_RS_STATE/vsftpd/etc/pam.d/vsftpd" /etc/pam.d/ftp-rs-vsftpd
    fi
    _ftp_rs_user_ensured=1
}

# Everything a real-server script needs, idempotent: servers, pyftpdlib, test user.
# Serialised with a lock so that two scripts starting at once do not race in apt/useradd.
ensure_all_ftp_servers() {
    _ftp_rs_require_root ensure_all_ftp_servers || return 1
    mkdir -p "$FTP_RS_STATE"
    (
        flock 9
        ensure_ftp_servers && ensure_pyftpdlib && ensure_test_user
    ) 9>"$FTP_RS_STATE/.lock" || return 1
    ensure_ftp_servers
    ensure_pyftpdlib
}

# ---------------------------------------------------------------------------------------
# Certificates

# Makes in DIR a test CA (ca.pem, ca.key; CA:TRUE) and a leaf certificate for
# CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1, signed by it (cert.pem, key.pem;
# combined.pem = key + cert, chain.pem = cert + CA). Valid 2 days. A client trusts ca.pem
# only: a self-signed CA certificate cannot serve as the end entity for webpki/rustls.
make_test_ca() {
    local dir=$1
    mkdir -p "$dir"
    (
        set -e
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.pem \
            -subj "/CN=ftp-rs test CA" \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout key.pem -out leaf.csr -subj /CN=localhost 2>/dev/null
        cat >leaf.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EOF
        openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile leaf.ext -out cert.pem 2>/dev/null
        rm -f leaf.csr leaf.ext ca.srl
        cat key.pem cert.pem >combined.pem
        cat cert.pem ca.pem >chain.pem
        chmod 600 ca.key key.pem combined.pem
        openssl verify -CAfile ca.pem cert.pem >/dev/null
    )
}

# The run's CA, made on first use. Sets FTP_RS_CA_DIR and FTP_RS_CA (its ca.pem).
_ftp_rs_ensure_ca() {
    _ftp_rs_ensure_run
    FTP_RS_CA_DIR="$_ftp_rs_run/ca"
    if [ ! -f "$FTP_RS_CA_DIR/cert.pem" ]; then
        make_test_ca "$FTP_RS_CA_DIR" || { echo "make_test_ca failed" >&2; return 1; }
    fi
    FTP_RS_CA="$FTP_RS_CA_DIR/ca.pem"
    export FTP_RS_CA
}

# ---------------------------------------------------------------------------------------
# Per-run state: one temp folder with each server's config, logs and FTP root, and the
# manifest. All removed at exit.

_ftp_rs_ensure_run() {
    if [ -z "$_ftp_rs_run" ]; then
        _ftp_rs_run="$(mktemp -d "${TMPDIR:-/tmp}/ftp-rs.XXXXXX")"
        # The servers' session processes run as the test user and must reach their root.
        chmod 755 "$_ftp_rs_run"
        _ftp_rs_dirs+=("$_ftp_rs_run")
        FTP_RS_SERVERS="${FTP_RS_SERVERS:-$_ftp_rs_run/servers.jsonl}"
        : >"$FTP_RS_SERVERS"
        _ftp_rs_dirs+=("$FTP_RS_SERVERS")
        export FTP_RS_SERVERS
        # Passive port ranges: 100 ports per server from a random base below the
        # ephemeral range (32768+), so that they do not meet free_port's ports. A closed
        # data connection keeps its port in TIME_WAIT for a minute, and proftpd refuses
        # EPSV ("425 Address already in use") when it finds no free port: 40 ran out
        # while the jobs test mirrored 500 small files over 4 sessions.
        _ftp_rs_pasv_next=$((20000 + (RANDOM % 100) * 100))
    fi
}

# _ftp_rs_new_server NAME MODE FAMILY: checks the arguments and makes the server's folder;
# sets FTP_SERVER FTP_MODE FTP_FAMILY FTP_HOST FTP_PORT FTP_PASV_MIN FTP_PASV_MAX FTP_DIR
# FTP_ROOT FTP_LOG FTP_CA FTP_TLS_NAME.
_ftp_rs_new_server() {
    local name=$1 mode=$2 family=$3
    case "$mode" in plain | explicit | implicit) ;; *)
        echo "start_$name: mode must be plain, explicit or implicit, not '$mode'" >&2
        return 1
        ;;
    esac
    case "$family" in 4) FTP_HOST=127.0.0.1 ;; 6) FTP_HOST=::1 ;; *)
        echo "start_$name: family must be 4 or 6, not '$family'" >&2
        return 1
        ;;
    esac
    _ftp_rs_ensure_run
    FTP_SERVER=$name FTP_MODE=$mode FTP_FAMILY=$family
    FTP_DIR="$(mktemp -d "$_ftp_rs_run/$name-$mode-v$family.XXXX")"
    chmod 755 "$FTP_DIR"
    FTP_ROOT="$FTP_DIR/root"
    mkdir "$FTP_ROOT"
    FTP_LOG="$FTP_DIR/server.log"
    FTP_PORT="$(free_port "$family")"
    FTP_PASV_MIN=$_ftp_rs_pasv_next
    FTP_PASV_MAX=$((_ftp_rs_pasv_next + 99))
    _ftp_rs_pasv_next=$((_ftp_rs_pasv_next + 100))
    if [ "$mode" = plain ]; then
        FTP_CA= FTP_TLS_NAME=
    else
        _ftp_rs_ensure_ca || return 1
        FTP_CA=$FTP_RS_CA FTP_TLS_NAME=$FTP_RS_TLS_NAME
    fi
}

# _ftp_rs_launch CMD...: runs the server in the background (output to FTP_LOG), waits
# until it listens, and records its folder so that its logs are printed on failure.
# vsftpd reports startup errors ("500 OOPS: ...") on fd 0 (its inetd-mode control
# connection), so fd 0 goes to the log as well.
# The server gets a process group of its own (setsid), so that stopping it also stops
# its session processes; its command, address and pid are kept in FTP_DIR for
# restart_server.
_ftp_rs_launch() {
    : >"$FTP_LOG"
    setsid "$@" 0>>"$FTP_LOG" >>"$FTP_LOG" 2>&1 &
    FTP_PID=$!
    _ftp_rs_pids+=("$FTP_PID")
    _ftp_rs_server_dirs+=("$FTP_DIR")
    printf '%q ' "$@" >"$FTP_DIR/command"
    printf 'FTP_PORT=%q FTP_HOST=%q FTP_LOG=%q\n' "$FTP_PORT" "$FTP_HOST" "$FTP_LOG" >"$FTP_DIR/address"
    echo "$FTP_PID" >"$FTP_DIR/pid"
    local log
    if ! wait_for_port "$FTP_PORT" "$FTP_PID" "$FTP_LOG" "$FTP_HOST"; then
        for log in "$FTP_DIR"/*.log; do
            [ "$log" = "$FTP_LOG" ] || { echo "---- $log" >&2; cat "$log" >&2; }
        done
        echo "start_$FTP_SERVER $FTP_MODE $FTP_FAMILY: FAILED to start (config in $FTP_DIR)" >&2
        return 1
    fi
}

# The pids of PID's children, grandchildren, ...
_ftp_rs_descendants() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
        echo "$child"
        _ftp_rs_descendants "$child"
    done
}

# restart_server DIR: stops the server whose folder is DIR (the manifest's "dir") with
# all its sessions, as a crash or a restart would, and starts it again with the same
# command on the same port; returns once it listens again. For tests of clients that
# must survive a server restart.
restart_server() {
    local dir=$1 pid FTP_PORT FTP_HOST FTP_LOG
    [ -s "$dir/pid" ] && [ -s "$dir/command" ] || {
        echo "restart_server: $dir is not a started server's folder" >&2
        return 1
    }
    pid=$(cat "$dir/pid")
    eval "$(cat "$dir/address")"
    # Sessions too, as a service manager's stop does: some servers (vsftpd) move their
    # session processes out of the listener's process group.
    local all
    all=$(_ftp_rs_descendants "$pid")
    kill -TERM -- "-$pid" $all 2>/dev/null || true
    local state
    for _ in $(seq 1 100); do
        # Gone, or a zombie its starting shell has not reaped yet.
        state=$(ps -o stat= -p "$pid" 2>/dev/null || true)
        [ -z "$state" ] || [[ $state == Z* ]] && break
        sleep 0.05
    done
    kill -KILL -- "-$pid" $all 2>/dev/null || true
    eval "setsid $(cat "$dir/command") 0>>\"\$FTP_LOG\" >>\"\$FTP_LOG\" 2>&1 &"
    pid=$!
    echo "$pid" >"$dir/pid"
    # The old listener's port may take a moment to be free: the new process retries
    # binding only by being restarted, so wait for it to listen (or to die and retry).
    for _ in 1 2 3 4 5; do
        if wait_for_port "$FTP_PORT" "$pid" "$FTP_LOG" "$FTP_HOST" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
        eval "setsid $(cat "$dir/command") 0>>\"\$FTP_LOG\" >>\"\$FTP_LOG\" 2>&1 &"
        pid=$!
        echo "$pid" >"$dir/pid"
    done
    echo "restart_server: $dir did not come back on port $FTP_PORT" >&2
    tail -n 20 "$FTP_LOG" >&2
    return 1
}

_ftp_rs_json_str() {
    if [ -z "$1" ]; then
        printf 'null'
        return
    fi
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

# _ftp_rs_record ANONYMOUS SET_MTIME: exports the FTP_* variables and appends the server's
# line to the manifest.
_ftp_rs_record() {
    FTP_ANONYMOUS=$1 FTP_SET_MTIME=$2
    export FTP_SERVER FTP_MODE FTP_FAMILY FTP_HOST FTP_PORT FTP_USER FTP_PASSWORD FTP_ROOT \
        FTP_CA FTP_TLS_NAME FTP_ANONYMOUS FTP_SET_MTIME FTP_PASV_MIN FTP_PASV_MAX FTP_DIR \
        FTP_LOG FTP_PID
    printf '{"server":%s,"mode":%s,"family":%s,"host":%s,"port":%s,"user":%s,"password":%s,"root":%s,"ca":%s,"tls_name":%s,"anonymous":%s,"set_mtime":%s,"pasv_ports":[%s,%s],"pid":%s,"dir":%s}\n' \
        "$(_ftp_rs_json_str "$FTP_SERVER")" "$(_ftp_rs_json_str "$FTP_MODE")" "$FTP_FAMILY" \
        "$(_ftp_rs_json_str "$FTP_HOST")" "$FTP_PORT" "$(_ftp_rs_json_str "$FTP_USER")" \
        "$(_ftp_rs_json_str "$FTP_PASSWORD")" "$(_ftp_rs_json_str "$FTP_ROOT")" \
        "$(_ftp_rs_json_str "$FTP_CA")" "$(_ftp_rs_json_str "$FTP_TLS_NAME")" \
        "$FTP_ANONYMOUS" "$(_ftp_rs_json_str "$FTP_SET_MTIME")" "$FTP_PASV_MIN" "$FTP_PASV_MAX" \
        "$FTP_PID" "$(_ftp_rs_json_str "$FTP_DIR")" >>"$FTP_RS_SERVERS"
}

_ftp_rs_root_for_test_user() {
    ensure_test_user || return 1
    chown "$FTP_RS_USER:$(id -gn "$FTP_RS_USER")" "$FTP_ROOT"
    chmod 755 "$FTP_ROOT"
    FTP_USER=$FTP_RS_USER FTP_PASSWORD=$FTP_RS_PASSWORD
}

# ---------------------------------------------------------------------------------------
# Servers. Each start_* function starts one server process on a free port of 127.0.0.1
# (FAMILY 4) or ::1 (FAMILY 6), with a fresh writable root, sets and exports the FTP_*
# variables (see scripts/README.md) and appends a line to the manifest $FTP_RS_SERVERS.
# TLS modes require TLS on control and data connections and use the run's CA.

# start_vsftpd MODE FAMILY: vsftpd 3.0.3; MODE plain|explicit|implicit. One process per
# address family. TLS: require_ssl_reuse=YES and strict_ssl_read_eof=YES. Anonymous
# login (read-only, as `nobody`) is enabled. Set mtime: 2-argument MDTM.
start_vsftpd() {
    local mode=$1 family=$2
    _ftp_rs_require_root start_vsftpd || return 1
    ensure_ftp_servers || return 1
    _ftp_rs_new_server vsftpd "$mode" "$family" || return 1
    _ftp_rs_root_for_test_user || return 1
    mkdir -m 755 "$FTP_DIR/empty"
    local conf="$FTP_DIR/vsftpd.conf"
    {
        echo "background=NO"
        if [ "$family" = 4 ]; then
            echo "listen=YES"
            echo "listen_ipv6=NO"
            echo "listen_address=127.0.0.1"
        else
            echo "listen=NO"
            echo "listen_ipv6=YES"
            echo "listen_address6=::1"
        fi
        cat <<EOF
listen_port=$FTP_PORT
ftpd_banner=ftp-rs test vsftpd ($mode, IPv$family)
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir=$FTP_DIR/empty
pam_service_name=ftp-rs-vsftpd
tcp_wrappers=NO
session_support=NO
userlist_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$FTP_ROOT
anonymous_enable=YES
anon_root=$FTP_ROOT
ftp_username=$FTP_RS_ANON_USER
no_anon_password=YES
anon_upload_enable=NO
anon_mkdir_write_enable=NO
pasv_enable=YES
pasv_min_port=$FTP_PASV_MIN
pasv_max_port=$FTP_PASV_MAX
port_enable=YES
connect_from_port_20=NO
utf8_filesystem=YES
mdtm_write=YES
use_localtime=NO
xferlog_enable=YES
log_ftp_protocol=YES
vsftpd_log_file=$FTP_DIR/vsftpd.log
EOF
        if [ "$mode" != plain ]; then
            cat <<EOF
ssl_enable=YES
rsa_cert_file=$FTP_RS_CA_DIR/cert.pem
rsa_private_key_file=$FTP_RS_CA_DIR/key.pem
ssl_ciphers=HIGH
require_ssl_reuse=YES
strict_ssl_read_eof=YES
force_local_logins_ssl=YES
force_local_data_ssl=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
debug_ssl=YES
EOF
            [ "$mode" = implicit ] && echo "implicit_ssl=YES"
        fi
    } >"$conf"
    touch "$FTP_DIR/vsftpd.log"
    _ftp_rs_launch "$FTP_RS_VSFTPD" "$conf" || return 1
    _ftp_rs_record true MDTM
}

# start_proftpd MODE FAMILY: proftpd 1.3.8 (mod_tls from proftpd-mod-crypto), run as root
# with `-n -c conf`, bound to the one address only (SocketBindTight). The whole server is
# one <VirtualHost> (which inherits nothing), so that implicit FTPS (TLSOptions
# UseImplicitSSL) is configured like the others. TLS session reuse on data connections is
# required (mod_tls' default). Anonymous login (read-only, as `nobody`) is enabled.
# Set mtime: MFMT.
start_proftpd() {
    local mode=$1 family=$2
    _ftp_rs_require_root start_proftpd || return 1
    ensure_ftp_servers || return 1
    _ftp_rs_new_server proftpd "$mode" "$family" || return 1
    _ftp_rs_root_for_test_user || return 1
    local conf="$FTP_DIR/proftpd.conf"
    {
        cat <<EOF
ServerType standalone
ServerName "ftp-rs test proftpd"
DefaultServer off
Port 0
SocketBindTight on
UseIPv6 on
User nobody
Group nogroup
PidFile $FTP_DIR/proftpd.pid
ScoreboardFile $FTP_DIR/proftpd.scoreboard
SystemLog $FTP_DIR/proftpd.log
TransferLog $FTP_DIR/xfer.log
WtmpLog off
DelayEngine off
ControlsEngine off
UseReverseDNS off
MaxInstances 100
AuthOrder mod_auth_unix.c
ModulePath $FTP_RS_STATE/proftpd-mod-crypto/usr/lib/proftpd
EOF
        [ "$mode" != plain ] && echo "LoadModule mod_tls.c"
        cat <<EOF
<VirtualHost $FTP_HOST>
  ServerName "ftp-rs test proftpd ($mode, IPv$family)"
  Port $FTP_PORT
  DefaultRoot $FTP_ROOT
  Umask 022
  AllowOverwrite on
  AllowStoreRestart on
  AllowRetrieveRestart on
  PassivePorts $FTP_PASV_MIN $FTP_PASV_MAX
  TimesGMT on
EOF
        if [ "$mode" != plain ]; then
            cat <<EOF
  TLSEngine on
  TLSLog $FTP_DIR/tls.log
  TLSProtocol TLSv1.2 TLSv1.3
  TLSRSACertificateFile $FTP_RS_CA_DIR/cert.pem
  TLSRSACertificateKeyFile $FTP_RS_CA_DIR/key.pem
  TLSVerifyClient off
EOF
            # Explicit: TLS required for login and data, and CCC allowed after login (the
            # matrix tests CCC); implicit: TLS on everything.
            if [ "$mode" = implicit ]; then
                echo "  TLSRequired on"
                echo "  TLSOptions UseImplicitSSL"
            else
                echo "  TLSRequired auth+data"
            fi
        fi
        cat <<EOF
  <Anonymous $FTP_ROOT>
    User nobody
    Group nogroup
    UserAlias anonymous nobody
    RequireValidShell off
    <Limit WRITE>
      DenyAll
    </Limit>
  </Anonymous>
</VirtualHost>
EOF
    } >"$conf"
    if ! "$FTP_RS_PROFTPD" -t -c "$conf" >"$FTP_LOG" 2>&1; then
        echo "start_proftpd $mode $family: config check failed:" >&2
        cat "$FTP_LOG" "$conf" >&2
        return 1
    fi
    _ftp_rs_launch "$FTP_RS_PROFTPD" -n -c "$conf" || return 1
    _ftp_rs_record true MFMT
}

# start_pureftpd MODE FAMILY: pure-ftpd 1.0.50; MODE plain|explicit (no implicit FTPS).
# The user is a virtual (PureDB) user mapped to the test user, chrooted to the root.
# No anonymous login. Set mtime: MFMT.
start_pureftpd() {
    local mode=$1 family=$2
    _ftp_rs_require_root start_pureftpd || return 1
    ensure_ftp_servers || return 1
    if [ "$mode" = implicit ]; then
        echo "start_pureftpd: pure-ftpd has no implicit FTPS" >&2
        return 1
    fi
    _ftp_rs_new_server pure-ftpd "$mode" "$family" || return 1
    _ftp_rs_root_for_test_user || return 1
    # The passwd line pure-pw would write, but with a SHA-512 crypt hash: pure-pw's own
    # argon2id (t=255) costs about 2.5 s of CPU on every login.
    printf '%s:%s:%s:%s::%s/./::::::::::::\n' "$FTP_USER" "$(openssl passwd -6 "$FTP_PASSWORD")" \
        "$(id -u "$FTP_USER")" "$(id -g "$FTP_USER")" "$FTP_ROOT" >"$FTP_DIR/pureftpd.passwd"
    "$FTP_RS_STATE/pure-ftpd/usr/bin/pure-pw" mkdb "$FTP_DIR/pureftpd.pdb" \
        -f "$FTP_DIR/pureftpd.passwd" >"$FTP_LOG" 2>&1 || {
        cat "$FTP_LOG" >&2
        return 1
    }
    local args=(-S "$FTP_HOST,$FTP_PORT" -p "$FTP_PASV_MIN:$FTP_PASV_MAX"
        -l "puredb:$FTP_DIR/pureftpd.pdb" -E -A -H -U 133:022 -c 100 -C 100
        -g "$FTP_DIR/pure-ftpd.pid" -O "clf:$FTP_DIR/xfer.log")
    if [ "$mode" = explicit ]; then
        args+=(-Y 3 -2 "$FTP_RS_CA_DIR/cert.pem,$FTP_RS_CA_DIR/key.pem")
    fi
    _ftp_rs_launch "$FTP_RS_PUREFTPD" "${args[@]}" || return 1
    _ftp_rs_record false MFMT
}

# start_pyftpdlib MODE FAMILY                  (test user; MODE plain|explicit)
# start_pyftpdlib USER PASSWORD [MODE [FAMILY]] (the older form scripts/demo uses)
# pyftpdlib 2 from PyPI in the project's venv, explicit FTPS with TLS_FTPHandler. Needs
# no root. Anonymous login (read-only) is enabled. Set mtime: MFMT.
start_pyftpdlib() {
    local user password mode family
    case "${1:-}" in
    plain | explicit | implicit)
        user=$FTP_RS_USER password=$FTP_RS_PASSWORD mode=$1 family=${2:-4}
        ;;
    *)
        user=$1 password=$2 mode=${3:-plain} family=${4:-4}
        ;;
    esac
    if [ "$mode" = implicit ]; then
        echo "start_pyftpdlib: pyftpdlib has no implicit FTPS" >&2
        return 1
    fi
    ensure_pyftpdlib || return 1
    _ftp_rs_new_server pyftpdlib "$mode" "$family" || return 1
    FTP_USER=$user FTP_PASSWORD=$password
    local args=(--host "$FTP_HOST" --port "$FTP_PORT" --root "$FTP_ROOT" --user "$user"
        --password "$password" --passive "$FTP_PASV_MIN-$FTP_PASV_MAX" --anonymous)
    if [ "$mode" = explicit ]; then
        args+=(--cert "$FTP_RS_CA_DIR/cert.pem" --key "$FTP_RS_CA_DIR/key.pem")
    fi
    _ftp_rs_launch "$PYFTPDLIB_PYTHON" "$_ftp_rs_lib_dir/pyftpdlib_server.py" "${args[@]}" || return 1
    _ftp_rs_record true MFMT
}
