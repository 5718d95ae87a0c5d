"""Unit tests of swarmtop_runtime (stdlib unittest; run from the repository root with
PYTHONPATH=sdk/python python3 -m unittest discover -s sdk/python/tests -t sdk/python)."""
