"""The webstack guardrail policies: one module per family, registered in registry.py.

Kept free of imports so that the program can use name_limits without pulling in the pack.
"""
