"""Events on `catalog.events` (key: agreement_id): framework agreements and their shortlisted-service
library (入围服务库), as the collecting agency fixed them in stage 1."""

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from contracts_schema.events.base import Documented, Event
from contracts_schema.types import Money, Quantity, UtcDateTime

Method = Literal["direct_selection", "secondary_bidding", "rotation"]
SupplierStatus = Literal["active", "suspended", "cleared"]


class CatalogEvent(Event):
    context = "catalog"
    key_field = "agreement_id"


class _Snapshot(Documented):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ShortlistedSupplier(_Snapshot):
    """A supplier shortlisted (入围供应商) under the agreement."""

    supplier_id: str = Field(description="Supplier unit id (its unified social credit code)")
    name: str
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    status: SupplierStatus = Field("active", description="active | suspended | cleared (清退)")


class ServiceItem(_Snapshot):
    """A service of the library: what is bought, independent of who offers it."""

    service_id: str
    category_code: str = Field(description="Category (品目) code of the service")
    category_name: str = Field(description="Category (品目) name")
    name: str
    unit: str = Field(description="Unit of measure the price is for")
    description: str = ""


class DiscountTier(_Snapshot):
    """Volume discount: from `min_quantity` on, the unit price is at most `unit_price`."""

    min_quantity: Quantity
    unit_price: Money


class Offering(_Snapshot):
    """One shortlisted supplier's offer of one service under the agreement, with its agreement price
    (协议价格): the ceiling of every award, volume discounts included."""

    offering_id: str
    service_id: str
    supplier_id: str
    agreement_price: Money = Field(description="Unit price fixed in stage 1: the ceiling")
    discount_tiers: list[DiscountTier] = Field(default_factory=list)
    listed: bool = Field(True, description="Listed (上架) in the library right now")
    price: Money | None = Field(None, description="Listed unit price, never above the agreement price")


class AgreementPublished(CatalogEvent):
    """The collecting agency published a framework agreement with its stage-1 result.

    1.1.0 adds the agreement's optional estimate (estimated_amount, estimated_quantity): the ledger of
    its awards is measured against it; and the rotation order (rotation_order) when it allows 顺序轮候."""

    version = "1.1.0"

    agreement_id: str
    agreement_no: str = Field(description="Agreement number, e.g. HNKJ-2026-001")
    name: str
    agency_org_id: str = Field(description="Collecting agency (征集人) unit id")
    agency_name: str
    agency_address: str = ""
    category_code: str = Field(description="Top category (品目) the agreement covers")
    category_name: str
    valid_from: date
    valid_to: date = Field(description="Last day the agreement may be used (inclusive)")
    methods: list[Method] = Field(description="Second-stage methods the agreement allows")
    contract_template: str = Field(description="Contract template text; placeholders in {braces}")
    suppliers: list[ShortlistedSupplier]
    services: list[ServiceItem]
    offerings: list[Offering]
    published_at: UtcDateTime
    estimated_amount: Money | None = Field(None, description="Estimated total amount of the agreement's awards "
                                                             "(预估采购金额), when the agency stated one")
    estimated_quantity: Quantity | None = Field(None, description="Estimated total quantity of the agreement's "
                                                                  "awards (预估采购数量), when the agency stated one")
    rotation_order: list[str] | None = Field(
        None, description="Rotation (顺序轮候): the suppliers' ids in their rotation order, fixed at publication; "
                          "null when the agreement does not allow rotation (added in 1.1.0)")


class ServiceListed(CatalogEvent):
    """A shortlisted supplier listed (上架) a service under the agreement, or changed its listed price."""

    agreement_id: str
    offering_id: str
    service_id: str
    service_name: str
    category_code: str
    unit: str
    supplier_id: str
    supplier_name: str
    price: Money = Field(description="Listed unit price (≤ the agreement price)")
    agreement_price: Money = Field(description="Unit price fixed in stage 1: the ceiling")
    discount_tiers: list[DiscountTier] = Field(default_factory=list,
                                               description="Volume discounts fixed in stage 1 (ceilings too)")
    listed_at: UtcDateTime


class ServiceDelisted(CatalogEvent):
    """A supplier delisted (下架) a service; it can no longer be selected."""

    agreement_id: str
    offering_id: str
    service_id: str
    supplier_id: str
    reason: str = ""
    delisted_at: UtcDateTime


class SupplierSuspended(CatalogEvent):
    """The agency suspended a shortlisted supplier: excluded from new projects, closes and awards."""

    agreement_id: str
    supplier_id: str
    supplier_name: str
    reason: str
    suspended_at: UtcDateTime


class SupplierReinstated(CatalogEvent):
    """The agency lifted a suspension."""

    agreement_id: str
    supplier_id: str
    supplier_name: str
    reason: str = ""
    reinstated_at: UtcDateTime


class AgreementExpired(CatalogEvent):
    """The agreement's validity ended; it is no longer offered."""

    agreement_id: str
    valid_to: date
    expired_at: UtcDateTime


class SupplierCleared(CatalogEvent):
    """The agency cleared (清退) a shortlisted supplier for one of the measures' causes: its agreement is
    ended, it is excluded from every new project and removed from the rotation order, for good."""

    agreement_id: str
    supplier_id: str
    supplier_name: str
    cause: str = Field(description="Cause code (catalog.domain.CLEARING_CAUSES), e.g. refused_award")
    cause_label: str = Field(description="The cause as the measures word it, e.g. 无正当理由拒不接受合同授予")
    reason: str = Field(description="The agency's statement of the facts")
    cleared_by: str = Field(description="User who cleared the supplier")
    cleared_at: UtcDateTime = Field(description="When the supplier was cleared")
    rotation_order: list[str] = Field(default_factory=list,
                                      description="The rotation order after the supplier was removed from it")


EVENTS = [AgreementPublished, ServiceListed, ServiceDelisted, SupplierSuspended, SupplierReinstated,
          AgreementExpired, SupplierCleared]
