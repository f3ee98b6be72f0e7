"""Fault injection: each test injects one fault a bad day brings (a rule that cannot run, a crash between
steps, a half-written file, a hostile workbook, two runs of one month, a lost alert...) against a real
PostgreSQL and real files, and checks that nothing is lost: the warehouse after the fault equals the
warehouse of a clean run (``tests.pipeline.snapshot``).

Every test module here names the fault it injects in its docstring; README "Reliability" counts them.
"""
