"""decompose: split a monolithic AWS Lambda into one function per route, strangler-fig style."""

__version__ = "0.1.0"
