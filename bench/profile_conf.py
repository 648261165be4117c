"""gunicorn settings that profile each worker with cProfile from its start to its exit (bench --profile).

The stats file of a worker is $BENCH_PROFILE_OUT with the worker's pid appended."""
import cProfile
import os

_profile = cProfile.Profile()


def post_worker_init(worker):
    _profile.enable()


def worker_exit(server, worker):
    _profile.disable()
    _profile.dump_stats(f"{os.environ['BENCH_PROFILE_OUT']}.{os.getpid()}")
