"""One Settings object, read from LANDPORT_* variables when asked for, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "landport-development-secret-change-me"
MIN_PRODUCTION_KEY = 32


class DatabaseSettings(BaseModel):
    """SQLite file under ./var by default; PostgreSQL in production."""

    url: str = "sqlite:///var/landport.db"
    echo: bool = False
    pool_size: int = Field(default=10, ge=1)

    @field_validator("url")
    @classmethod
    def _readable_url(cls, url: str) -> str:
        """A URL SQLAlchemy cannot read is refused when the settings are read, naming the
        variable, rather than as a driver's traceback at the first query."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(url).get_dialect()
        except (ArgumentError, ValueError) as exc:
            raise ValueError(
                "must be a SQLAlchemy URL such as sqlite:///var/landport.db or "
                f"postgresql+psycopg://host/db ({exc})"
            ) from None
        return url


class AuthSettings(BaseModel):
    """Bearer tokens are HMAC-signed with this key; production refuses the default and any
    key shorter than `MIN_PRODUCTION_KEY` characters (an empty or guessable key lets anyone
    sign a token of any role)."""

    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    token_ttl_minutes: int = 12 * 60


class CustomsSettings(BaseModel):
    """The customs office running the land port (its 4-digit code is a placeholder by default)."""

    office_code: str = Field(default="8800", pattern=r"^\d{4}$")
    office_code_is_placeholder: bool = True


class MqttSettings(BaseModel):
    """The broker e-locks publish to; ingest workers share one subscription group."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: SecretStr | None = None
    group: str = "landport-ingest"
    session_expiry_s: int = 7 * 24 * 3600
    worker_protocol: Literal["3.1.1", "5"] = "3.1.1"  # see docs/scaling.md


class TelemetrySettings(BaseModel):
    """The ingest's own rules."""

    # A fix dated further ahead of the platform's clock than this is refused (fix_in_future):
    # satellite time does not run ahead, a broken clock does. A replay of recorded tracks
    # at speed (the telemetry bench) raises it.
    future_tolerance_s: float = Field(default=300.0, ge=0)


class UiSettings(BaseModel):
    """The web UI: offline by default; a site with its own tile server may name it here."""

    tile_url: str | None = None  # e.g. https://tiles.port.example/{z}/{x}/{y}.png
    tile_attribution: str = ""
    vendor_dir: Path | None = None  # frontend/node_modules of the checkout when not set
    default_language: Literal["zh-CN", "en"] = "zh-CN"
    # The session cookies carry the Secure flag: by default in production (behind HTTPS);
    # set false only for a production site reached over plain HTTP on a closed network.
    secure_cookies: bool | None = None
    daily_truck_capacity: int = 300  # the inspection yard's stated capacity (trucks a day)
    # Transport cost saved per container by declaring and inspecting inland (the port's 2025
    # reporting: "almost 2,000 yuan"); shown on the big screen as an estimate.
    saving_per_container_cny: int = 2000
    # Hear alerts from ingest workers running as separate processes (their MQTT event topics).
    live_events_from_mqtt: bool = False


class Settings(BaseSettings):
    """Landport's settings: LANDPORT_ prefix, nested with '__' (LANDPORT_DATABASE__URL)."""

    model_config = SettingsConfigDict(
        env_prefix="LANDPORT_", env_nested_delimiter="__", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database: DatabaseSettings = DatabaseSettings()
    auth: AuthSettings = AuthSettings()
    customs: CustomsSettings = CustomsSettings()
    mqtt: MqttSettings = MqttSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    ui: UiSettings = UiSettings()
    reference_dir: Path | None = None  # operator's updated data files, one per name
    host: str = "127.0.0.1"
    port: int = 8000

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        key = self.auth.secret_key.get_secret_value()
        if self.environment == "production" and key == DEFAULT_SECRET:
            raise ValueError("LANDPORT_AUTH__SECRET_KEY must be set in production")
        if self.environment == "production" and len(key) < MIN_PRODUCTION_KEY:
            raise ValueError(
                f"LANDPORT_AUTH__SECRET_KEY must be at least {MIN_PRODUCTION_KEY} characters "
                "in production (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return self


def get_settings() -> Settings:
    return Settings()


def setting_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """Each problem of a `Settings` validation error as (the variable an operator sets, why
    it is refused): LANDPORT_DATABASE__POOL_SIZE rather than pydantic's `database.pool_size`."""
    return [
        (
            "LANDPORT_" + "__".join(str(part).upper() for part in e["loc"])
            if e["loc"]
            else "LANDPORT_*",
            e["msg"].removeprefix("Value error, "),
        )
        for e in exc.errors()
    ]
