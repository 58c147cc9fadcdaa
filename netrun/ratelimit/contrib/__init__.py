"""Glue for frameworks other than Django; each module imports its framework."""
