"""RuralEval: the application service, persistence wiring, CLI and demo."""

__version__ = "0.1.0"
