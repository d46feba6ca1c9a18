"""kafka-python, or a skipped test: every interop script imports this first.

Importing it exits with SKIP (77, ctest's SKIP_RETURN_CODE for the interop
tests) when Debian's python3-kafka is not importable, so the script's own
kafka imports that follow cannot fail. require_codecs() does the same for
the optional codec modules. The scripts run as `/usr/bin/python3 script.py`,
so this directory is first on sys.path.
"""

import sys

SKIP = 77


def skip(reason):
    print("skipped: " + reason)
    sys.exit(SKIP)


def require_codecs(names):
    """Skips unless kafka-python can decode every codec in `names`
    ("none", "gzip", "snappy", "lz4", "zstd")."""
    missing = [n for n in names if n != "none" and not getattr(kafka.codec, "has_" + n)()]
    if missing:
        skip("kafka-python has no codec module for %s (install %s)"
             % (", ".join(missing), " ".join("python3-" + n for n in missing)))


try:
    import kafka.codec
    import kafka.record.default_records  # noqa: F401 - the scripts' imports.
    import kafka.record.memory_records  # noqa: F401
    import kafka.record.util  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the machine
    skip("kafka-python is not importable (%s); install python3-kafka "
         "and run with /usr/bin/python3" % e)
