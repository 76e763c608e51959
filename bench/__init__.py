"""RuralEval benchmark: HTTP submissions vs raw commits, query latency, aggregate load.

Run with ``python -m bench`` (``make bench``); ``python -m bench --help`` for the options.
"""
