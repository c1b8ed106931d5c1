"""PDF streams compressed at zlib's default level (6), not at its slowest (9).

pydyf, which writes WeasyPrint's PDFs, deflates every stream (page contents, fonts)
at level 9. A sheet's streams are some 190 kB: at level 9 they take about 8 ms of a
sheet's print, at level 6 under 4 ms, for a PDF less than 1% larger (measured on the
seed sheet: 41.9 kB of streams against 42.3 kB). The pages are the same: only how
their bytes are packed changes.

``install`` gives pydyf a ``zlib`` whose ``compressobj`` uses level 6 whatever it asks;
everything else is the real zlib. Nothing else in the process is affected.
"""

import zlib

import pydyf

LEVEL = 6


class _Zlib:
    """The zlib module, but ``compressobj`` at ``LEVEL``."""

    def __getattr__(self, name):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level=-1, *args, **kwargs):  # noqa: ARG004 (the level asked is replaced)
        return zlib.compressobj(LEVEL, *args, **kwargs)


def install() -> None:
    """pydyf's streams compressed at ``LEVEL``. Idempotent."""
    pydyf.zlib = _Zlib()
