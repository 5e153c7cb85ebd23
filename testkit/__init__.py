"""Tooling of the tests and the benchmarks, kept out of the product package.

``loopback`` starts the real servers on free loopback ports, ``evaluation`` scores a
parser on a test set, ``scripted_reviews`` plays whole scripted reviews and scores the
stored deal.
"""
