"""Benchmarks: one kab/kota-month side by side with a bare COPY and the naive pandas path (see README.md)."""
