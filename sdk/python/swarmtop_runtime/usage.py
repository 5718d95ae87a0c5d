"""Adapters from provider usage objects to the protocol's inclusive token accounting.

Owns: reading OpenAI-style and Anthropic-style usage (dicts, or objects with the same
attributes; no provider package needed) and returning keyword arguments for Runtime.usage().
Protocol accounting is inclusive: cache_read_tokens and cache_write_tokens are parts of
input_tokens, and reasoning_tokens is part of output_tokens.
Must not: guess numbers a provider did not report (absent means 0).
"""


def _get(obj, name):
    """obj[name] for dicts, getattr(obj, name) otherwise; None when absent."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _n(v):
    """A token count from a possibly absent/None value."""
    if v is None or isinstance(v, bool):
        return 0
    try:
        return max(0, int(v))
    except (TypeError, ValueError):
        return 0


def usage_from_openai(usage):
    """Runtime.usage() kwargs from an OpenAI usage object (Chat Completions or Responses API).

    Chat Completions: prompt_tokens (includes cached), completion_tokens (includes reasoning),
    prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens.
    Responses API: input_tokens, output_tokens, input_tokens_details.cached_tokens,
    output_tokens_details.reasoning_tokens. OpenAI reports no cache writes (0).
    A whole response (anything with a .usage / ["usage"]) is accepted too.
    """
    if _get(usage, "prompt_tokens") is None and _get(usage, "input_tokens") is None \
            and _get(usage, "usage") is not None:
        usage = _get(usage, "usage")
    if _get(usage, "prompt_tokens") is not None or _get(usage, "completion_tokens") is not None:
        inp = _n(_get(usage, "prompt_tokens"))
        out = _n(_get(usage, "completion_tokens"))
        cached = _n(_get(_get(usage, "prompt_tokens_details"), "cached_tokens"))
        reasoning = _n(_get(_get(usage, "completion_tokens_details"), "reasoning_tokens"))
    else:
        inp = _n(_get(usage, "input_tokens"))
        out = _n(_get(usage, "output_tokens"))
        cached = _n(_get(_get(usage, "input_tokens_details"), "cached_tokens"))
        reasoning = _n(_get(_get(usage, "output_tokens_details"), "reasoning_tokens"))
    return {"input_tokens": inp, "output_tokens": out, "cache_read_tokens": min(cached, inp),
            "cache_write_tokens": 0, "reasoning_tokens": min(reasoning, out)}


def usage_from_anthropic(usage):
    """Runtime.usage() kwargs from an Anthropic Messages usage object.

    Anthropic's input_tokens EXCLUDES cached tokens: the prompt's total is input_tokens +
    cache_read_input_tokens + cache_creation_input_tokens, and that total is what the protocol
    calls input_tokens (cache reads and writes are parts of it). output_tokens already includes
    extended-thinking tokens, which Anthropic does not count separately, so reasoning_tokens is
    0 (unknown) rather than a guess. A whole response (with .usage) is accepted too.
    """
    if _get(usage, "input_tokens") is None and _get(usage, "usage") is not None:
        usage = _get(usage, "usage")
    base = _n(_get(usage, "input_tokens"))
    read = _n(_get(usage, "cache_read_input_tokens"))
    write = _n(_get(usage, "cache_creation_input_tokens"))
    if write == 0:  # newer responses may only break cache writes down by TTL
        cc = _get(usage, "cache_creation")
        write = _n(_get(cc, "ephemeral_5m_input_tokens")) + _n(_get(cc, "ephemeral_1h_input_tokens"))
    return {"input_tokens": base + read + write, "output_tokens": _n(_get(usage, "output_tokens")),
            "cache_read_tokens": read, "cache_write_tokens": write, "reasoning_tokens": 0}
