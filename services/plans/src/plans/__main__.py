"""`python -m plans`: check config, database and broker, migrate, serve."""

from servicekit.runner import run

from plans.app import build
from plans.settings import Settings


def main() -> None:
    run(name="plans", package="plans", settings_cls=Settings, build=build)


if __name__ == "__main__":
    main()
