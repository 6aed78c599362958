from datetime import timedelta

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from bidding.domain import LONGEST_WINDOW_SECONDS, DurationBounds
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(extra="ignore")

    port: int = 8103
    database_url: str = "sqlite:///var/bidding.db"

    bidding_min_duration_seconds: int = Field(
        1800, ge=1, le=LONGEST_WINDOW_SECONDS, description="Shortest secondary-bidding window: the necessary response time (必要响应时间)")
    bidding_max_duration_seconds: int = Field(7 * 86400, ge=1, le=LONGEST_WINDOW_SECONDS, description="Longest secondary-bidding window")
    bidding_timer_interval: float = Field(
        0.5, gt=0, le=60, description="Seconds between two looks for windows to open or close")

    summary_check_interval: float = Field(
        300, gt=0, le=86400, description="Seconds between two looks for expired agreements whose direct-selection "
                                         "summary announcement is to be published")

    @model_validator(mode="after")
    def _bounds(self) -> "Settings":
        if self.bidding_min_duration_seconds > self.bidding_max_duration_seconds:
            raise ValueError("BIDDING_MIN_DURATION_SECONDS is above BIDDING_MAX_DURATION_SECONDS")
        return self

    @property
    def duration_bounds(self) -> DurationBounds:
        return DurationBounds(timedelta(seconds=self.bidding_min_duration_seconds),
                              timedelta(seconds=self.bidding_max_duration_seconds))
