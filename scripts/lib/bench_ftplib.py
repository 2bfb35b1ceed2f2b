"""Python ftplib's side of scripts/bench (issue #8): one transfer or a directory of
small files, timed from outside like every other client.

    bench_ftplib.py HOST PORT USER PASS get REMOTE LOCAL|-
    bench_ftplib.py HOST PORT USER PASS put LOCAL REMOTE
    bench_ftplib.py HOST PORT USER PASS many REMOTE_DIR LOCAL_DIR|-

FTP_CA=ca.pem: explicit FTPS (FTP_TLS, PROT P) verified against that CA. The data
connections resume the control connection's TLS session (vsftpd and proftpd require it;
stock ftplib does not, so this is the usual ntransfercmd override). Blocks: 1 MiB for
retrbinary and storbinary.
"""
import ftplib
import os
import ssl
import sys

BLOCK = 1024 * 1024


class ReusingFTP_TLS(ftplib.FTP_TLS):
    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(
                conn, server_hostname=self.host, session=self.sock.session
            )
        return conn, size


def connect(host, port, user, password):
    ca = os.environ.get("FTP_CA")
    if ca:
        ctx = ssl.create_default_context(cafile=ca)
        ftp = ReusingFTP_TLS(context=ctx)
        ftp.connect(host, port)
        ftp.login(user, password)
        ftp.prot_p()
    else:
        ftp = ftplib.FTP()
        ftp.connect(host, port)
        ftp.login(user, password)
    return ftp


def get(ftp, remote, local):
    """Downloads `remote`; returns the bytes received."""
    got = [0]
    if local == "-":

        def discard(block):
            got[0] += len(block)

        ftp.retrbinary("RETR " + remote, discard, blocksize=BLOCK)
    else:
        with open(local, "wb") as f:

            def write(block):
                got[0] += len(block)
                f.write(block)

            ftp.retrbinary("RETR " + remote, write, blocksize=BLOCK)
    return got[0]


def main():
    host, port, user, password, verb, a, b = sys.argv[1:8]
    ftp = connect(host, int(port), user, password)
    if verb == "get":
        # What the harness checks a discarded download by.
        print("get %d bytes" % get(ftp, a, b), file=sys.stderr)
    elif verb == "put":
        with open(a, "rb") as f:
            ftp.storbinary("STOR " + b, f, blocksize=BLOCK)
    elif verb == "many":
        ftp.cwd(a)
        for name in ftp.nlst():
            get(ftp, name, "-" if b == "-" else os.path.join(b, os.path.basename(name)))
    else:
        sys.exit("unknown verb " + verb)
    ftp.quit()


if __name__ == "__main__":
    main()
