"""Glue for frameworks other than Django; each module is imported only by whoever uses it."""
