"""Shared pytest setup. Keep this small: area-specific fixtures live in each tests/<area>/.

Being here (with no tests/__init__.py) puts tests/ on sys.path, so test helpers import
as ``support.*`` (tests/support/).
"""
