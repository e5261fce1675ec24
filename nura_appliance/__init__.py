"""NURA Appliance: a self-hosted, Arabic-first AI customer-support desk in one process."""

__version__ = "0.1.0"
