"""`python -m orders`: check config, database and broker, migrate, serve."""

from servicekit.runner import run

from orders.app import build
from orders.settings import Settings


def main() -> None:
    run(name="orders", package="orders", settings_cls=Settings, build=build)


if __name__ == "__main__":
    main()
