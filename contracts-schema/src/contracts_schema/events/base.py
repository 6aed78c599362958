"""The base of every published event."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts_schema.glossary import FIELDS

TYPE_PREFIX = "gov.hunan.framework"
SCHEMA_ID_BASE = "https://schemas.hunan-framework.gov.cn/events"  # + /<Event>/<version>.json: `$id`, ce_dataschema


class Documented(BaseModel):
    """Base of every published model: a field without its own description takes the data dictionary's
    (contracts_schema.glossary), so every field of every generated schema is documented."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        missing = [f for name, f in cls.model_fields.items() if not f.description and name in FIELDS]
        for name, field in cls.model_fields.items():
            if not field.description and name in FIELDS:
                field.description = FIELDS[name]
        if missing:
            cls.model_rebuild(force=True)


class Event(Documented):
    """One fact a service publishes. Subclasses set `context` (the topic's bounded context), `key_field`
    (the aggregate id field, which is also the Kafka key and `ce_subject`) and `version`.

    A new version only adds optional fields; it never removes, renames or retypes a field, nor makes
    an optional field required (the schema tests enforce it against the committed files)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    context: ClassVar[str]
    key_field: ClassVar[str]
    version: ClassVar[str] = "1.0.0"

    @classmethod
    def topic(cls) -> str:
        return f"{cls.context}.events"

    @classmethod
    def ce_type(cls) -> str:
        return f"{TYPE_PREFIX}.{cls.context}.{cls.__name__}.v{cls.version.split('.')[0]}"

    @classmethod
    def dataschema(cls) -> str:
        """The `$id` of this version's JSON Schema (`schemas/<Event>/<version>.json`), sent as
        `ce_dataschema`."""
        return f"{SCHEMA_ID_BASE}/{cls.__name__}/{cls.version}.json"

    @property
    def aggregate_id(self) -> str:
        return str(getattr(self, self.key_field))


class Party(Documented):
    """A unit taking part: purchaser unit, supplier or agency, with what an announcement names."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    org_id: str = Field(description="Unit id on the platform (the supplier's unified social credit code)")
    name: str = Field(description="Unit name, e.g. 湖南省教育厅")
    address: str = Field("", description="Postal address")
    contact_name: str = Field("", description="Contact person")
    contact_phone: str = Field("", description="Contact phone")
