from shapetrace.cli import entry_point

entry_point()
