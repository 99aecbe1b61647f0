"""The model registry's pure core: the metrics file delivered with a model
(``metrics_file``), the gate that compares a candidate with the served model (``gate``), and
the choice of the package to serve (``serving``). Standard library only, no AWS calls: the
registration function does the I/O.
"""
