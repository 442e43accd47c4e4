"""Subcommands of the ``machinehearing`` command line (see :mod:`machinehearing.cli`)."""
