"""`python -m contracts`: check config, database and broker, migrate, serve."""

from servicekit.runner import run

from contracts.app import build
from contracts.settings import Settings


def main() -> None:
    run(name="contracts", package="contracts", settings_cls=Settings, build=build)


if __name__ == "__main__":
    main()
