"""The table of loadtests/scale-out.sh: one row per run, then the medians per topology and their ratio to one silo.

Work per CPU-second counts the conversations scheduled in the measured time (the tool's `due`) against the CPU the
cluster's processes (silos and gateways) used in that time, and again with PostgreSQL's and Redis's CPU added. A run in
which other processes took more than 10 % of the machine is void: it is shown, marked, and left out of the medians.
"""

import json
import statistics
import sys

VOID_SHARE = 0.10


def load(rows_path):
    runs = []
    with open(rows_path) as rows:
        for line in rows:
            (rnd, topology, code, report, cluster, pg, redis, tool, busy, total, hz, before, after) = line.rstrip("\n").split("\t")
            hz = int(hz)
            try:
                with open(report) as f:
                    r = json.load(f)
            except OSError:
                r = None
            run = {"round": rnd, "topology": topology, "code": int(code), "report": r, "load": f"{before} → {after}"}
            ms = lambda ticks: int(ticks) * 1000 / hz
            run["cluster_ms"] = ms(cluster)
            run["store_ms"] = ms(pg) + ms(redis)
            run["tool_ms"] = ms(tool)
            run["others_share"] = max(0.0, (int(busy) - int(cluster) - int(pg) - int(redis) - int(tool)) / max(1, int(total)))
            run["void"] = run["others_share"] > VOID_SHARE or r is None
            if r is not None:
                l = r["load"]
                run["due"] = l["due"]
                run["ok"] = l["ok"]
                run["failed"] = l["failed"]
                a = next(x for x in r["latencies"] if x["name"] == "assignment")["ms"]
                run["p50"] = a.get("p50") or 0
                run["p99"] = a.get("p99") or 0
                run["over"] = r.get("overCapacityEvents", 0)
                due = max(1, l["due"])
                run["cluster_per_conv"] = run["cluster_ms"] / due
                run["all_per_conv"] = (run["cluster_ms"] + run["store_ms"]) / due
                run["per_cpu_s"] = due / max(1e-9, run["cluster_ms"] / 1000)
                run["per_cpu_s_all"] = due / max(1e-9, (run["cluster_ms"] + run["store_ms"]) / 1000)
            runs.append(run)
    return runs


def main():
    runs = load(sys.argv[1])
    seconds = int(sys.argv[2])
    print("| round | topology | conversations (ok / failed) | cluster CPU per conversation | with PostgreSQL + Redis | conversations per cluster CPU-second | per CPU-second, storage included | assignment p50 / p99 | over capacity | others' CPU | load average | tool exit |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in runs:
        if r["report"] is None:
            print(f"| {r['round']} | {r['topology']} | no report | | | | | | | | {r['load']} | {r['code']} |")
            continue
        mark = " (void)" if r["void"] else ""
        print(
            f"| {r['round']} | {r['topology']} | {r['due']} ({r['ok']} / {r['failed']}) | {r['cluster_per_conv']:.1f} ms | "
            f"{r['all_per_conv']:.1f} ms | {r['per_cpu_s']:.1f} | {r['per_cpu_s_all']:.1f} | {r['p50']:.1f} / {r['p99']:.1f} ms | "
            f"{r['over']} | {r['others_share'] * 100:.0f} %{mark} | {r['load']} | {r['code']} |"
        )

    counted = [r for r in runs if not r["void"] and r["report"] is not None]
    if not counted:
        return
    print()
    print(f"Medians of the runs that count ({seconds} s measured each):")
    print()
    print("| topology | runs | conversations per cluster CPU-second | ÷ one silo | per CPU-second, storage included | ÷ one silo | assignment p50 / p99 | failed |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    order = list(dict.fromkeys(r["topology"] for r in counted))
    med = {}
    for t in order:
        rs = [r for r in counted if r["topology"] == t]
        med[t] = (
            statistics.median(r["per_cpu_s"] for r in rs),
            statistics.median(r["per_cpu_s_all"] for r in rs),
            statistics.median(r["p50"] for r in rs),
            statistics.median(r["p99"] for r in rs),
            sum(r["failed"] for r in rs),
            len(rs),
        )
    base = med.get("1")
    for t in order:
        m = med[t]
        ratio = f"{m[0] / base[0]:.2f}" if base else "–"
        ratio_all = f"{m[1] / base[1]:.2f}" if base else "–"
        print(f"| {t} | {m[5]} | {m[0]:.1f} | {ratio} | {m[1]:.1f} | {ratio_all} | {m[2]:.1f} / {m[3]:.1f} ms | {m[4]} |")


if __name__ == "__main__":
    main()
