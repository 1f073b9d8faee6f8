"""``limit_malloc_arenas``: a process that calls it keeps to two glibc arenas however many threads allocate.

Counted in a child process (arenas are per process and never go away) from glibc's own ``malloc_info``
report, one ``<heap nr=…>`` per arena; skipped where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import subprocess
import sys

import pytest

from bot.cli.malloc import limit_malloc_arenas

CHILD = r"""
import ctypes, ctypes.util, os, re, sys, tempfile, threading
from bot.cli.malloc import limit_malloc_arenas
if sys.argv[1] == "on":
    print("set" if limit_malloc_arenas({}) else "not set", file=sys.stderr)
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
start = threading.Barrier(8)
def allocate():
    start.wait()  # all at once, so that they contend for the main arena
    for _ in range(2000):
        libc.free(libc.malloc(4096))
threads = [threading.Thread(target=allocate) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
libc.fclose.argtypes = (ctypes.c_void_p,)
path = os.path.join(tempfile.mkdtemp(), "malloc.xml")
stream = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, stream)
libc.fclose(stream)
print(len(re.findall(r"<heap nr=", open(path).read())))
"""


def glibc() -> bool:
    try:
        return hasattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), "malloc_info")
    except OSError:
        return False


def arenas(mode: str) -> tuple[int, str]:
    """Arenas in a child process after eight threads allocated at once; ``mode``: "on" or "off"."""
    done = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, timeout=60,
                          check=True)
    return int(done.stdout.strip()), done.stderr.strip()


@pytest.mark.skipif(not glibc(), reason="glibc's malloc arenas")
def test_a_serve_process_keeps_to_two_arenas_where_eight_threads_would_make_more() -> None:
    unlimited, _ = arenas("off")
    limited, said = arenas("on")
    assert unlimited > 2  # without the cap, threads that allocate together get arenas of their own
    assert (limited, said) == (2, "set")


def test_an_operators_malloc_arena_max_is_left_to_glibc() -> None:
    assert limit_malloc_arenas({"MALLOC_ARENA_MAX": "4"}) is False
