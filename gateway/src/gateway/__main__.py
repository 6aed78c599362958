"""`python -m gateway`: check config and database, migrate, serve."""

from servicekit.runner import run

from gateway.app import build
from gateway.settings import Settings


def main() -> None:
    run(name="gateway", package="gateway", settings_cls=Settings, build=build)


if __name__ == "__main__":
    main()
