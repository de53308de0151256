"""Query throughput and latency of ``phago serve`` under 50 concurrent clients, over a colony holding SciFact.

Not a test: run it by hand on a quiet machine and copy the printed table into docs/server.md.

    python bench/server_bench.py                      # wrk if installed, else the async httpx driver
    python bench/server_bench.py --tool httpx --runs 3 --duration 20 --mode lexical

What it does:
1. builds (once, cached in --work) a colony file from ../shared/bench/scifact/corpus.jsonl (title + text),
   read in place, and runs --ticks ticks so the Hebbian graph has edges;
2. starts ``python -m phago.server serve`` in a separate process on 127.0.0.1 (background ticks off unless
   --tick-interval is given, so the figure is the query path, not lock contention with ticks);
3. drives POST /api/query with the 300 SciFact test claims, cycling, from --clients concurrent connections
   for --duration seconds after --warmup seconds, with ``wrk`` (C, 2 threads, Lua body rotation) or an
   asyncio httpx driver in another process;
4. repeats --runs times and reports the median requests/s and the median p50/p99 latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCIFACT = ROOT.parent / "shared" / "bench" / "scifact"


@dataclass
class RunResult:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float


def build_colony(db: Path, corpus: Path, ticks: int, overrides: dict[str, str]) -> None:
    from phago import Colony, DocumentInput, load_settings

    if db.exists():
        print(f"using cached colony {db}", file=sys.stderr)
        return
    settings = load_settings(None, env={}, overrides=overrides or None)
    started = time.perf_counter()
    with Colony.open(db, settings) as colony:
        batch: list[DocumentInput] = []
        with corpus.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                text = f"{rec.get('title', '')}\n\n{rec['text']}".strip()
                batch.append(DocumentInput(text, rec.get("title", ""), {"scifact_id": rec["_id"]}, "scifact"))
                if len(batch) == 500:
                    colony.ingest_many(batch)
                    batch = []
        if batch:
            colony.ingest_many(batch)
        colony.run(ticks)
        s = colony.stats()
    print(f"built {db}: {s.documents} documents, {s.passages} passages, {s.concepts} concepts, {s.edges} edges, "
          f"tick {s.tick} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    db: Path, port: int, work: Path, tick_interval: float, overrides: dict[str, str]
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PHAGO_SERVER__TICK_INTERVAL": str(tick_interval)}
    for key, value in overrides.items():
        section, name = key.split(".", 1)
        env[f"PHAGO_{section.upper()}__{name.upper()}"] = value
    cmd = [sys.executable, "-m", "phago.server", "serve", "--db", str(db), "--port", str(port),
           "--data-dir", str(work / "data"), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become ready")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def bodies(queries: Path, k: int, mode: str | None) -> list[str]:
    out = []
    with queries.open(encoding="utf-8") as fh:
        for line in fh:
            body: dict[str, object] = {"query": json.loads(line)["text"], "k": k}
            if mode:
                body["mode"] = mode
            out.append(json.dumps(body))
    return out


# -- drivers -----------------------------------------------------------------------------------------------
_WRK_LUA = """
local bodies = {}
for line in io.lines(os.getenv("PHAGO_BENCH_BODIES")) do bodies[#bodies + 1] = line end
local counter = 0
local offset = 0
function setup(thread) counter = counter + 1; thread:set("offset", counter * 97) end
function init(args) i = offset or 0 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  i = i % #bodies + 1
  return wrk.format(nil, "/api/query", nil, bodies[i])
end
"""


def run_wrk(
    url: str, body_file: Path, clients: int, seconds: float, work: Path, endpoint: str, timeout: float = 30.0
) -> RunResult:
    script = work / "query.lua"
    script.write_text(_WRK_LUA)
    target = ["-s", str(script), url] if endpoint == "query" else [f"{url}/healthz"]
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "--timeout", f"{int(timeout)}s", *target],
        env={**os.environ, "PHAGO_BENCH_BODIES": str(body_file)}, capture_output=True, text=True, check=True,
    ).stdout
    reqs = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    secs_m = re.search(r"requests in ([\d.]+)(m?s)", out)
    secs = float(secs_m.group(1)) / (1000 if secs_m.group(2) == "ms" else 1)  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock_err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    if sock_err:
        errors += sum(int(g) for g in sock_err.groups())

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        return float(m.group(1)) * scale

    return RunResult(reqs, errors, secs, reqs / secs, pct("50"), pct("99"))


async def _httpx_load(
    url: str, payloads: list[str], clients: int, seconds: float, warmup: float, endpoint: str
) -> RunResult:
    import httpx

    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

        async def worker(n: int) -> None:
            nonlocal errors
            i = n * 97
            headers = {"content-type": "application/json"}
            while (now := time.perf_counter()) < stop_at:
                i += 1
                t0 = now
                try:
                    if endpoint == "query":
                        r = await http.post("/api/query", content=payloads[i % len(payloads)], headers=headers)
                    else:
                        r = await http.get("/healthz")
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    errors += not ok

        await asyncio.gather(*(worker(n) for n in range(clients)))
    latencies.sort()
    n = len(latencies)
    return RunResult(n, errors, seconds, n / seconds, latencies[n // 2] * 1000,
                     latencies[min(n - 1, int(n * 0.99))] * 1000)


def run_httpx(url: str, payloads: list[str], clients: int, seconds: float, warmup: float, endpoint: str) -> RunResult:
    return asyncio.run(_httpx_load(url, payloads, clients, seconds, warmup, endpoint))


# -- main ------------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scifact", type=Path, default=SCIFACT, help="Folder with corpus.jsonl and queries.jsonl.")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "phago-server-bench")
    ap.add_argument("--ticks", type=int, default=50, help="Ticks run after ingesting (builds the graph).")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=20.0, help="Measured seconds per run.")
    ap.add_argument("--warmup", type=float, default=3.0, help="Seconds of load before measuring.")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--mode", default=None, help="Query mode (default: the colony's query.mode).")
    ap.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    ap.add_argument("--endpoint", choices=["query", "healthz"], default="query",
                    help="healthz measures the HTTP stack alone (no colony work), for comparison.")
    ap.add_argument("--tick-interval", type=float, default=0.0, help="Background ticks while serving (0 = off).")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="Setting override for the colony and the server, e.g. query.reinforce=false.")
    ap.add_argument("--out", type=Path, help="Also write the results as JSON here.")
    args = ap.parse_args()

    overrides = dict(s.split("=", 1) for s in args.set)
    args.work.mkdir(parents=True, exist_ok=True)
    tag = "-".join(f"{k}={v}" for k, v in sorted(overrides.items())) or "defaults"
    db = args.work / f"scifact-{args.ticks}ticks-{tag}.db"
    build_colony(db, args.scifact / "corpus.jsonl", args.ticks, overrides)
    payloads = bodies(args.scifact / "queries.jsonl", args.k, args.mode)
    body_file = args.work / "bodies.txt"
    body_file.write_text("\n".join(payloads) + "\n")
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "httpx")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(db, port, args.work, args.tick_interval, overrides)
    results: list[RunResult] = []
    try:
        for run in range(args.runs):
            if tool == "wrk":
                run_wrk(url, body_file, args.clients, max(1, args.warmup), args.work, args.endpoint)  # warm-up
                r = run_wrk(url, body_file, args.clients, args.duration, args.work, args.endpoint)
            else:
                r = run_httpx(url, payloads, args.clients, args.duration, args.warmup, args.endpoint)
            results.append(r)
            print(f"run {run + 1}: {r.rps:.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
                  f"{r.requests} requests, {r.errors} errors", file=sys.stderr)
    finally:
        stop_server(proc)

    summary = {
        "tool": tool, "endpoint": args.endpoint, "clients": args.clients, "duration_s": args.duration,
        "runs": args.runs,
        "mode": args.mode or "colony default", "k": args.k, "ticks": args.ticks, "overrides": overrides,
        "tick_interval": args.tick_interval,
        "median_rps": statistics.median(r.rps for r in results),
        "median_p50_ms": statistics.median(r.p50_ms for r in results),
        "median_p99_ms": statistics.median(r.p99_ms for r in results),
        "errors": sum(r.errors for r in results),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "runs_detail": [asdict(r) for r in results],
    }
    print(json.dumps(summary, indent=1))
    print(f"\n| endpoint | tool | mode | settings | clients | req/s (median of {args.runs}) | p50 ms | p99 ms "
          "| errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.endpoint} | {tool} | {summary['mode']} | {tag} | {args.clients} | {summary['median_rps']:.0f} | "
          f"{summary['median_p50_ms']:.1f} | {summary['median_p99_ms']:.1f} | {summary['errors']} |")
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
