"""`python -m catalog`: check config, database and broker, migrate, serve."""

from servicekit.runner import run

from catalog.app import build
from catalog.settings import Settings


def main() -> None:
    run(name="catalog", package="catalog", settings_cls=Settings, build=build)


if __name__ == "__main__":
    main()
