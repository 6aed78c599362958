"""`python -m bidding`: check config, database and broker, migrate, serve."""

from servicekit.runner import run

from bidding.app import build
from bidding.settings import Settings


def main() -> None:
    run(name="bidding", package="bidding", settings_cls=Settings, build=build)


if __name__ == "__main__":
    main()
