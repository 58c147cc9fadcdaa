"""The load run of `make loadtest` (bench/loadtest.py): the stack, the client, the checks."""
