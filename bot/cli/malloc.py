"""Fewer glibc malloc arenas for the long-running, threaded commands (`roombot serve`, `roombot worker`).

glibc gives each thread that allocates while another holds the main heap an arena of its own, up to eight per
core, and memory freed in one arena is not reused by another thread's.  A serve process has many threads
(gunicorn's, the listener lane, the dispatch engine's loop, store and Slack threads), and a burst of 1,000
bookings left about 3 MB more resident than with two arenas (bench/bench_bookings.py: peak RSS 121.8 ->
118.9 MB), for no measurable change in speed: the threads that allocate most take turns on the GIL anyway.

The usual way is the environment variable ``MALLOC_ARENA_MAX=2``, read by glibc when the process starts; this
does the same from inside the process with ``mallopt(M_ARENA_MAX)``, before any thread is started, so that a
plain ``roombot serve`` gets it.  An operator's own ``MALLOC_ARENA_MAX`` wins (glibc has applied it already),
and on a C library without ``mallopt`` (musl, macOS) nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Mapping

ARENAS = 2
M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(environ: Mapping[str, str], arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` for this process and its children; True when the cap was set
    here (False: ``MALLOC_ARENA_MAX`` is set, or this C library has no ``mallopt``)."""
    if environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
