"""Turns scripts/bench's runs.tsv into the markdown tables of results.md (stdout)."""
import argparse
import csv
import os
import platform
import statistics
from collections import defaultdict

SCENARIOS = {
    "retr-null": "RETR → /dev/null",
    "retr-file": "RETR → tmpfs file",
    "stor": "STOR ← tmpfs file",
}
SECTION_NAMES = {
    "vsftpd-plain": "vsftpd, plain FTP",
    "vsftpd-explicit": "vsftpd, explicit FTPS (PROT P)",
    "pyftpdlib-plain": "pyftpdlib, plain FTP",
    "pyftpdlib-explicit": "pyftpdlib, explicit FTPS (PROT P)",
}
MIB, GIB = 1024 * 1024, 1024 ** 3


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs_tsv")
    for opt in ("command", "date", "runs", "size", "files", "load", "versions"):
        ap.add_argument("--" + opt, default="?")
    a = ap.parse_args()

    cells = defaultdict(list)  # (section, scenario, tool) -> [row]
    failed = defaultdict(int)
    order = []
    with open(a.runs_tsv) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            k = (row["section"], row["scenario"], row["tool"])
            if k not in cells and k not in failed:
                order.append(k)
            if row["ok"] == "1":
                cells[k].append(row)
            else:
                failed[k] += 1

    def med(k, f):
        return statistics.median(f(r) for r in cells[k]) if cells[k] else None

    def wall(k):
        return med(k, lambda r: float(r["wall"]))

    def ratio(base, this):
        return f"{base / this:.2f}" if base and this else "–"

    def runs_note(k):
        n, bad = len(cells[k]), failed.get(k, 0)
        return f"{n}" + (f" ({bad} failed)" if bad else "")

    print("## Transfers: scripts/bench results\n")
    print(f"- date: {a.date}")
    print(f"- command: `{a.command}` ({a.runs} runs per cell, medians; big file {a.size} MiB, "
          f"{a.files} small files of 1 KiB)")
    print(f"- machine: {os.cpu_count()} cores ({cpu_model()}), Linux {platform.release()}, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // GIB} GiB RAM")
    print(f"- load average (1/5/15 min): {a.load}")
    print(f"- peers: {a.versions}")
    print("- times are wall seconds of the whole client process (connect, login, transfer, QUIT); "
          "CPU is the client's user+sys; RSS its peak (the server's are not counted)\n")

    sections = []
    for s, _, _ in order:
        if s not in sections:
            sections.append(s)
    for s in sections:
        rows = [k for k in order if k[0] == s and k[1] in SCENARIOS]
        if rows:
            print(f"### {SECTION_NAMES.get(s, s)}: {a.size} MiB\n")
            print("| scenario | tool | runs | median s | MiB/s | CPU s/GiB | peak RSS MiB "
                  "| × curl (speed) | × TCP ceiling |")
            print("|---|---|---|---|---|---|---|---|---|")
            for k in rows:
                _, scen, tool = k
                w = wall(k)
                if w is None:
                    print(f"| {SCENARIOS[scen]} | {tool} | {runs_note(k)} | – | – | – | – | – | – |")
                    continue
                units = float(cells[k][0]["units"])
                cpu = med(k, lambda r: (float(r["user"]) + float(r["sys"])) * GIB / units)
                rss = med(k, lambda r: int(r["rss_kib"]) / 1024)
                curl = wall((s, scen, "curl"))
                tcp = wall((s, scen, "tcp"))
                name = "TCP ceiling" if tool == "tcp" else tool
                print(f"| {SCENARIOS[scen]} | {name} | {runs_note(k)} | {w:.3f} | "
                      f"{units / MIB / w:.0f} | {cpu:.2f} | {rss:.1f} | {ratio(curl, w)} | "
                      f"{ratio(tcp, w)} |")
            print()
        small = [k for k in order if k[0] == s and k[1] == "small"]
        if small:
            print(f"### {SECTION_NAMES.get(s, s)}: {a.files} × 1 KiB files → tmpfs folder\n")
            print("| tool (sessions) | runs | median s | files/s | CPU s | peak RSS MiB "
                  "| × curl (speed) | × ftplib (speed) |")
            print("|---|---|---|---|---|---|---|---|")
            for k in small:
                tool = k[2]
                w = wall(k)
                if w is None:
                    print(f"| {tool} | {runs_note(k)} | – | – | – | – | – | – |")
                    continue
                units = float(cells[k][0]["units"])
                cpu = med(k, lambda r: float(r["user"]) + float(r["sys"]))
                rss = med(k, lambda r: int(r["rss_kib"]) / 1024)
                print(f"| {tool} | {runs_note(k)} | {w:.3f} | {units / w:.0f} | {cpu:.2f} | "
                      f"{rss:.1f} | {ratio(wall((s, 'small', 'curl')), w)} | "
                      f"{ratio(wall((s, 'small', 'ftplib')), w)} |")
            print()
        mirror = [k for k in order if k[0] == s and k[1] == "mirror"]
        if mirror:
            print(f"### {SECTION_NAMES.get(s, s)}: mirror of {a.files} × 1 KiB files into an "
                  "empty folder\n")
            print("| tool | sessions | runs | median s | files/s | CPU s | peak RSS MiB "
                  "| × lftp mirror, same sessions |")
            print("|---|---|---|---|---|---|---|---|")
            for k in mirror:
                tool = k[2]
                name, n = tool.rsplit(" x", 1)
                w = wall(k)
                if w is None:
                    print(f"| {name} | {n} | {runs_note(k)} | – | – | – | – | – |")
                    continue
                units = float(cells[k][0]["units"])
                cpu = med(k, lambda r: float(r["user"]) + float(r["sys"]))
                rss = med(k, lambda r: int(r["rss_kib"]) / 1024)
                print(f"| {name} | {n} | {runs_note(k)} | {w:.3f} | {units / w:.0f} | {cpu:.2f} | "
                      f"{rss:.1f} | {ratio(wall((s, 'mirror', f'lftp mirror x{n}')), w)} |")
            print()
        pget = [k for k in order if k[0] == s and k[1] == "pget"]
        if pget:
            print(f"### {SECTION_NAMES.get(s, s)}: {a.size} MiB in 4 segments beside one stream\n")
            print("| tool | runs | median s | MiB/s | CPU s/GiB | peak RSS MiB | × lftp pget "
                  "| × one stream (ftp get) |")
            print("|---|---|---|---|---|---|---|---|")
            for k in pget:
                tool = k[2]
                w = wall(k)
                if w is None:
                    print(f"| {tool} | {runs_note(k)} | – | – | – | – | – | – |")
                    continue
                units = float(cells[k][0]["units"])
                cpu = med(k, lambda r: (float(r["user"]) + float(r["sys"])) * GIB / units)
                rss = med(k, lambda r: int(r["rss_kib"]) / 1024)
                print(f"| {tool} | {runs_note(k)} | {w:.3f} | {units / MIB / w:.0f} | {cpu:.2f} | "
                      f"{rss:.1f} | {ratio(wall((s, 'pget', 'lftp pget x4')), w)} | "
                      f"{ratio(wall((s, 'pget', 'ftp get')), w)} |")
            print()
    print("× columns: the peer's median time divided by this row's (above 1 = faster than the "
          "peer; for the TCP ceiling, the fraction of the raw loopback rate reached).")


if __name__ == "__main__":
    main()
