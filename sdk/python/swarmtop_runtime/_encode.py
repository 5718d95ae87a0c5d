"""Event encoding for swarmtop protocol v1 (runtime side).

Owns: the vocabularies (statuses, roles, levels, actions), the length limits of the spec
(identifiers 1-128 bytes, names <= 256 bytes, free text <= 64 KiB), validation of values the
application passes in, and turning an event body into its JSON text once a seq and ts are known.
Must not: hold state, take locks, do I/O. Everything here is a pure function.
"""

import json

PROTO = 1
ID_MAX = 128
NAME_MAX = 256
TEXT_MAX = 64 * 1024

AGENT_STATUSES = frozenset(
    ("idle", "working", "input-required", "paused", "completed", "failed", "canceled"))
TASK_STATUSES = frozenset(("submitted", "working", "input-required", "paused", "completed",
                           "failed", "canceled", "rejected"))
TERMINAL_TASK = frozenset(("completed", "failed", "canceled", "rejected"))
ROLES = frozenset(("user", "assistant", "system", "tool", "operator"))
LEVELS = frozenset(("debug", "info", "warn", "error"))
ACTIONS = ("pause", "resume", "retry", "cancel", "inject")
USAGE_COUNTS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                "reasoning_tokens")

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_dumps = _encoder.encode
try:
    from _json import encode_basestring as _c_str, make_encoder as _c_make_encoder
except ImportError:  # no C accelerator: JSONEncoder.encode is the only path
    _c_make_encoder = None


def _fast_dumps(obj, _make=_c_make_encoder, _default=_encoder.default, _str=_c_str if
                _c_make_encoder else None, _join="".join):
    """_dumps for a dict, without JSONEncoder.encode's per-call Python wrapper layers: the same
    C encoder that encode() builds for one call (same options, a fresh circular-check memo)."""
    return _join(_make({}, _default, _str, None, ":", ",", False, False, False)(obj, 0))


if _c_make_encoder is not None:
    _dumps_dict = _fast_dumps
    # No circular-check memo, so one shared (stateless, thread-safe) encoder: only for bodies
    # the SDK builds itself from validated scalars and lists of ids (agent and task upserts).
    _plain = _c_make_encoder(None, _encoder.default, _c_str, None, ":", ",", False, False, False)

    def _dumps_plain(obj, _enc=_plain, _join="".join):
        """_dumps for an SDK-built body that cannot contain a cycle."""
        return _join(_enc(obj, 0))
else:
    _dumps_dict = _dumps_plain = _dumps


def truncate(s, limit):
    """Cut a string to at most `limit` UTF-8 bytes without splitting a character."""
    if len(s) * 4 <= limit:
        return s
    b = s.encode("utf-8", "surrogatepass")
    if len(b) <= limit:
        return s
    return b[:limit].decode("utf-8", "ignore")


def ident(value, what="id"):
    """Validate an identifier (str, 1-128 bytes); return it or raise ValueError."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    n = len(value.encode("utf-8", "surrogatepass"))
    if n < 1 or n > ID_MAX:
        raise ValueError(f"{what} must be 1..{ID_MAX} bytes of UTF-8, got {n}")
    return value


def opt_ident(value, what="id"):
    """Like ident() but None passes through."""
    return None if value is None else ident(value, what)


def name(value):
    """A display name: str() of the value, truncated to 256 bytes; None passes through."""
    return None if value is None else truncate(str(value), NAME_MAX)


def text(value):
    """Free text: str() of the value, truncated to 64 KiB; None passes through."""
    return None if value is None else truncate(value if isinstance(value, str) else str(value),
                                               TEXT_MAX)


def choice(value, allowed, what):
    """Check that value is one of the allowed strings."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {sorted(allowed)}, got {value!r}")
    return value


def count(value, what):
    """A token count: a non-negative int (bools and floats with fractions refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{what} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{what} must be non-negative, got {value}")
    return value


def body(fields):
    """Encode an event body (without type/seq/ts) to the JSON tail that follows them.

    Returns '' for an empty body, else ',"k":v,...}' minus the closing brace handling done by
    frame(); the result is computed outside any lock.
    """
    s = _dumps_dict(fields)
    return "" if s == "{}" else "," + s[1:-1]


def body_plain(fields):
    """body() for agent and task upserts, whose values the SDK validated (str, int, bool, None,
    lists of ids): same text, without the per-call encoder set-up and circular check."""
    s = _dumps_plain(fields)
    return "" if s == "{}" else "," + s[1:-1]


def frame(etype, seq, ts, tail):
    """The final JSON text of one event, given its body tail from body()."""
    return '{"type":"%s","seq":%d,"ts":%d%s}' % (etype, seq, ts, tail)


def dumps(obj):
    """Compact JSON text of any object (hello, snapshot)."""
    return _dumps(obj)
