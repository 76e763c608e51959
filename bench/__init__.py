"""RuralEval benchmark: HTTP submissions vs raw commits, query latency, aggregate load; time travel.

Run with ``python -m bench`` (``make bench``); ``python -m bench --help`` for the options;
``--only time_travel`` (or ``main``, ``collection``, ``request_path``) runs one section.
"""
