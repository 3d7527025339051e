"""The demo data, one module per app it fills (accounts, materials, review), each with one
idempotent `seed_demo_<app>` function; `manage.py seed_demo` runs them in that order."""
