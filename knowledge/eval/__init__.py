"""Evaluation: data sets, metrics, the evaluation command and the benchmark."""
