#!/usr/bin/python3
"""The Dask peer of the small-task throughput benchmark (issue 6).

Runs N trivial tasks (x -> x + 1) on Dask distributed, the way a Prefect user
would hand them to a Dask task runner: a LocalCluster of W worker processes with
one thread each, one Client, `client.map(trivial, range(N), pure=False)` and
`client.gather`. After a warm-up, R timed repeats; prints on stdout

    dask_tasks_per_s <median over the repeats>

and each repeat's time on stderr. Quiet otherwise; exits 0, or 3 with a message
if the whole run exceeds --timeout seconds (a hung cluster must not hang the
benchmark).

Run it with Debian's interpreter, which has python3-distributed:
    /usr/bin/python3 bench/dask_peer.py --tasks 2000 --workers 2 --repeats 3
(distributed 2022.12.1 on the 2-core dev machine at load ~1: ~650 tasks/s, 3 s a
repeat, 12 s in all with cluster start and stop.)
"""

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import warnings


def trivial(x):
    return x + 1


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", type=int, default=2000,
                   help="tasks per repeat (default 2000: ~3 s a repeat on the 2-core dev machine)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats (default 3)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="give up after this many seconds in all (default 300)")
    a = p.parse_args()
    for name in ("tasks", "workers", "repeats"):
        if getattr(a, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(a, name)}")
    return a


def quiet():
    # Distributed logs cluster start/stop at INFO and warns about the event
    # loop, the dashboard and slow GC; none of it is the benchmark's business.
    warnings.filterwarnings("ignore")
    # Environment, so that the worker processes inherit it too.
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    os.environ["DASK_LOGGING__DISTRIBUTED"] = "critical"
    for name in ("distributed", "tornado", "asyncio", "bokeh"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def watchdog(seconds, scratch):
    def fire():
        print(f"dask_peer: no result after {seconds:.0f} s, giving up", file=sys.stderr)
        sys.stderr.flush()
        shutil.rmtree(scratch, ignore_errors=True)
        os._exit(3)  # not sys.exit: the cluster's threads and processes may be stuck
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def main():
    args = parse_args()
    quiet()
    # The workers' spill and lock directory: our own, removed at the end, so no
    # "stale lock file" chatter from earlier runs and nothing left in /tmp.
    scratch = tempfile.mkdtemp(prefix="dask_peer_")
    timer = watchdog(args.timeout, scratch)
    try:
        return run(args, scratch, timer)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args, scratch, timer):
    import dask
    from distributed import Client, LocalCluster

    dask.config.set({
        "distributed.logging.distributed": "critical",
        "distributed.admin.tick.limit": "1h",  # no "event loop was unresponsive" warnings
    })

    timings = []
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL,
                      local_directory=scratch) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(args.workers)
        # Warm-up: imports, connections, the function's pickling cache.
        client.gather(client.map(trivial, range(min(args.tasks, 1000)), pure=False))
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            futures = client.map(trivial, range(args.tasks), pure=False)
            results = client.gather(futures)
            seconds = time.perf_counter() - t0
            if results[-1] != args.tasks or len(results) != args.tasks:
                print("dask_peer: wrong results", file=sys.stderr)
                return 1
            del futures
            timings.append(seconds)
            print(f"dask_peer: {args.tasks} tasks in {seconds:.3f} s "
                  f"({args.tasks / seconds:.0f} tasks/s)", file=sys.stderr)

    timer.cancel()
    rate = args.tasks / statistics.median(timings)
    print(f"dask_tasks_per_s {rate:.1f}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
