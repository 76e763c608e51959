"""The evaluation domain: schemes, county streams, commands and scoring.

Pure Python: no web framework, no SQL, no I/O. Time comes in as arguments.
"""
