"""Entry point for ``python -m nura_appliance``."""

from nura_appliance.cli.main import run

if __name__ == "__main__":
    run()
