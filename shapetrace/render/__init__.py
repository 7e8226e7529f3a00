"""Renderers: each takes a finished TraceRecord (or the solver's Solution) and returns a string; none
runs a model or prints."""
