"""Servers on loopback for the bench: gunicorn (the provider or pyoai's server), `oai-provider serve` for the
cold start, and the resident memory of their worker processes. Stops only the processes it started."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

from bench.machine import wait_for_quiet

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int, path: str) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status == 200
    except OSError:
        return False


def wait_until_answers(port: int, path: str, process: subprocess.Popen, timeout: float = 60) -> float:
    """Seconds until the first 200 answer on path; the process dying first is an error."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before answering")
        if answers(port, path):
            return time.perf_counter() - start
        time.sleep(0.005)
    raise RuntimeError(f"server did not answer {path} within {timeout} s")


def children(pid: int) -> list[int]:
    """Direct children of pid (gunicorn's workers), from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Server:
    name: str
    port: int
    path: str  # the OAI-PMH endpoint's path
    process: subprocess.Popen

    def worker_rss_mb(self) -> float:
        """The largest resident set among the workers (each serves requests on its own)."""
        return max((rss_mb(pid) for pid in children(self.process.pid)), default=0.0)

    def worker_cpu_seconds(self) -> float:
        """CPU seconds the workers have used so far (user + system)."""
        return sum(cpu_seconds(pid) for pid in children(self.process.pid))


def clean_environment(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OAI_", "BENCH_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gunicorn(name: str, app: str, env: dict, workers: int, path: str,
             config: Optional[str] = None) -> Iterator[Server]:
    """`gunicorn -w workers app` on a free loopback port (default sync workers), ready when it yields."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "600",
               "--log-level", "warning"]
    if config:
        command += ["-c", config]
    process = subprocess.Popen(command + [app], env=clean_environment(env), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_answers(port, f"{path}?verb=Identify", process)
        yield Server(name, port, path, process)
    except RuntimeError as exc:
        stop(process)
        raise RuntimeError(f"{name}: {exc}: {process.stderr.read().decode(errors='replace')[-2000:]}") from None
    finally:
        stop(process)
        process.stderr.close()


def cold_start(command: list[str], port: int, path: str, env: dict) -> float:
    """Seconds from launching command to its first answered request (Identify); RuntimeError with the
    process's own words when it exits without answering."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=clean_environment(env), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        wait_until_answers(port, f"{path}?verb=Identify", process, timeout=60)
        return time.perf_counter() - start
    except RuntimeError as exc:
        said = " ".join(process.stdout.read().decode(errors="replace").split())[:300]
        raise RuntimeError(f"{exc}: {said}") from None
    finally:
        stop(process, signal.SIGINT)
        process.stdout.close()


def cold_start_series(command: Callable[[int], list[str]], env: dict, runs: int) -> tuple[Optional[float], Optional[str]]:
    """(median seconds to a first answer over runs, on a free port each time, or None; the failure or None)."""
    times = []
    wait_for_quiet()
    for _ in range(runs):
        port = free_port()
        try:
            times.append(cold_start(command(port), port, "/oai", env))
        except RuntimeError as exc:
            return None, str(exc)
    return statistics.median(times), None


def serve_command(instance: Path, port: int) -> list[str]:
    return [str(BIN / "oai-provider"), "--instance", str(instance), "serve", "--port", str(port)]


def gunicorn_command(app: str, port: int, workers: int = 1) -> list[str]:
    return [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning", app]
