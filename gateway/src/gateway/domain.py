"""The gateway's rules, pure (no I/O): the rate-limit arithmetic and who a limit is counted for.

Rate limits use GCRA (the generic cell rate algorithm): a user may send `burst` requests at once and
then one every `interval`. The whole state of a user is one number, the theoretical arrival time (TAT)
of their next request, so the same arithmetic runs in-process and as one atomic Redis script
(ratelimit.py); times are integer microseconds so both give exactly the same answers."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

MICROS = 1_000_000


@dataclass(frozen=True)
class Limit:
    """`per_second` sustained, `burst` at once."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError("a limit needs per_second > 0 and burst >= 1")

    @cached_property  # asked on every request; a limit never changes
    def interval_us(self) -> int:
        return max(1, round(MICROS / self.per_second))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    tat_us: int  # the state to keep (unchanged when refused)
    retry_after_us: int  # 0 when allowed; else how long until the same request would be allowed
    remaining: int  # requests still allowed right now after this one

    @property
    def retry_after_seconds(self) -> int:
        """For the Retry-After header: whole seconds, rounded up, at least 1."""
        return max(1, -(-self.retry_after_us // MICROS))


def gcra(tat_us: int | None, now_us: int, limit: Limit) -> Decision:
    """Decides one request at `now_us` for a user whose stored TAT is `tat_us` (None: never seen)."""
    interval = limit.interval_us
    tat = max(tat_us if tat_us is not None else now_us, now_us)
    new_tat = tat + interval
    allow_at = new_tat - limit.burst * interval
    if now_us < allow_at:
        kept = tat_us if tat_us is not None else now_us
        return Decision(False, kept, allow_at - now_us, 0)
    return Decision(True, new_tat, 0, (now_us - allow_at) // interval)


def rate_key(*, username: str | None, client_ip: str | None) -> str:
    """Whose budget a request spends: the logged-in user, or (without a token) the client address."""
    if username:
        return f"user:{username}"
    return f"ip:{client_ip or 'unknown'}"


def login_keys(*, username: str, client_ip: str | None) -> tuple[str, str]:
    """Log-in attempts are counted per account and address (slows guessing one password), and per
    address (slows trying one password on many accounts); a stranger cannot lock an account out
    from another address."""
    ip = client_ip or "unknown"
    return f"login:{ip}:{username.strip().lower()}", f"login-ip:{ip}"
