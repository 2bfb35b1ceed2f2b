"""A pyftpdlib server for the tests: one user with full rights on a root folder, optional
read-only anonymous login, a passive port range, and explicit FTPS (TLS required on the
control and data connections) when given a certificate. Started by scripts/lib/servers.sh."""

import argparse
import logging

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--passive", help="LO-HI")
    ap.add_argument("--anonymous", action="store_true")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(message)s")
    authorizer = DummyAuthorizer()
    # e l r a d f m w M T: everything, T being MFMT (set mtime).
    authorizer.add_user(args.user, args.password, args.root, perm="elradfmwMT")
    if args.anonymous:
        authorizer.add_anonymous(args.root, perm="elr")
    if args.cert:
        handler = TLS_FTPHandler
        handler.certfile = args.cert
        handler.keyfile = args.key
        handler.tls_control_required = True
        handler.tls_data_required = True
    else:
        handler = FTPHandler
    handler.authorizer = authorizer
    handler.banner = "ftp-rs test pyftpdlib"
    if args.passive:
        lo, hi = (int(p) for p in args.passive.split("-"))
        handler.passive_ports = range(lo, hi + 1)
    server = FTPServer((args.host, args.port), handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
