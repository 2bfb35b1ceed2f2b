# Helpers to install and start real FTP servers on loopback for the demo and the tests.
# Source this file; every server started here is stopped when the calling script exits.
# Servers are installed by this script itself (PyPI for pyftpdlib), never by hand.

FTP_RS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FTP_RS_STATE="${FTP_RS_STATE:-$FTP_RS_ROOT/target/ftp-servers}"
_ftp_rs_pids=()
_ftp_rs_dirs=()

_ftp_rs_cleanup() {
    for pid in "${_ftp_rs_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${_ftp_rs_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    for dir in "${_ftp_rs_dirs[@]}"; do rm -rf "$dir"; done
}
trap _ftp_rs_cleanup EXIT

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until 127.0.0.1:$1 accepts connections, or fails after about 20 s.
wait_for_port() {
    local port=$1 pid=$2 log=$3
    for _ in $(seq 1 200); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "server exited before listening on port $port; its log:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "server did not listen on port $port in time; its log:" >&2
    cat "$log" >&2
    return 1
}

# Installs pyftpdlib from PyPI into a venv of the project's own (once).
ensure_pyftpdlib() {
    local venv="$FTP_RS_STATE/pyftpdlib-venv"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyftpdlib' 2>/dev/null; then
        mkdir -p "$FTP_RS_STATE"
        if ! python3 -m venv "$venv" 2>/dev/null; then
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            python3 -m venv "$venv"
        fi
        "$venv/bin/pip" install -q --disable-pip-version-check 'pyftpdlib>=2,<3' >&2
    fi
    PYFTPDLIB_PYTHON="$venv/bin/python"
}

# Starts pyftpdlib on 127.0.0.1 with user $1 / password $2 and write access to a fresh
# temporary root. Sets FTP_PORT and FTP_ROOT.
start_pyftpdlib() {
    local user=$1 password=$2
    ensure_pyftpdlib
    FTP_ROOT="$(mktemp -d)"
    _ftp_rs_dirs+=("$FTP_ROOT")
    FTP_PORT="$(free_port)"
    local log="$FTP_ROOT.log"
    _ftp_rs_dirs+=("$log")
    "$PYFTPDLIB_PYTHON" -m pyftpdlib -i 127.0.0.1 -p "$FTP_PORT" -w -d "$FTP_ROOT" \
        -u "$user" -P "$password" >"$log" 2>&1 &
    local pid=$!
    _ftp_rs_pids+=("$pid")
    wait_for_port "$FTP_PORT" "$pid" "$log"
}
