"""Renderers: each takes a finished Trace and returns a string; none runs a model or prints."""
