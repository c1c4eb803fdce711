"""Orders and bills as imported: which parent (store, vendor) and customer each refers to."""

from __future__ import annotations

from typing import Any

from app.db.enums import OrderStatus
from app.db.models import Bill, BillLine, Customer, Order, OrderLine, Store, Vendor
from app.services.import_bulk import table_of
from app.services.import_documents import (
    DocumentShape,
    DocumentWriter,
    ExistingDocument,
    Plan,
    Refs,
    first_of,
)
from app.services.import_kinds import Draft, WriteContext
from app.services.import_references import Registry


class OrderWriter(DocumentWriter):
    """Orders: each creates its store, customer and items when they are new."""

    shape = DocumentShape(
        table=table_of(Order),
        lines=table_of(OrderLine),
        parent=table_of(Store),
        parent_fk="store_id",
        number="order_number",
        line_fk="order_id",
        price="unit_price",
        head_columns=(
            "order_date",
            "ship_date",
            "status",
            "currency",
            "shipping",
            "discount",
            "sales_tax",
            "other_fees",
        ),  # fmt: skip
        charges=("shipping", "sales_tax", "other_fees"),
        reset_on_new_sku=("cost_at_ship",),
    )
    parent_noun = "store"
    extra_columns = ("customer_id",)

    def __init__(self, ctx: WriteContext) -> None:
        super().__init__(ctx)
        self.customers = Registry(ctx, table_of(Customer), "name", "customer")

    def _wanted_head(
        self, draft: Draft, existing: ExistingDocument | None, parent: Any
    ) -> dict[str, Any]:
        head = super()._wanted_head(draft, existing, parent)
        if head["status"] is None:
            head["status"] = OrderStatus.SHIPPED if head["ship_date"] else OrderStatus.OPEN
        if head["currency"] is None:
            head["currency"] = (
                self._stored(existing, "currency") if existing else self.ctx.home_currency
            )
        head["customer_name"] = draft.head["customer_name"]
        return head

    def _stored(self, existing: ExistingDocument, name: str) -> Any:
        """One compared value of an existing document, as stored (text columns only)."""
        return existing.head[self.compared.index(name)]

    def _compared_names(self) -> tuple[str, ...]:
        return (*super()._compared_names(), "customer_name")

    def _compared_extras(self, head: dict[str, Any]) -> tuple[Any, ...]:
        return (head["customer_name"],)

    def _compared_sql(self, name: str) -> str:
        return self._quote("c", "name") if name == "customer_name" else super()._compared_sql(name)

    def _existing_from(self) -> str:
        q = self._quote
        return (
            f"{super()._existing_from()} LEFT OUTER JOIN {q(table_of(Customer).name)} AS c "
            f"ON {q('c', 'id')} = {q('d', 'customer_id')}"
        )

    def _references(self, plans: list[Plan], parents: dict[str, Any]) -> Refs:
        refs = super()._references(plans, parents)
        names = {plan.head["customer_name"] for plan in plans}
        names.discard(None)
        refs["customers"] = self.customers.ids(
            names,
            lambda missing: first_of(
                plans, missing, lambda p: p.head["customer_name"], self._new_customer
            ),
        )
        return refs

    def _new_customer(self, plan: Plan) -> dict[str, Any]:
        return {"email": plan.draft.head["customer_email"], "currency": plan.head["currency"]}

    def _extra_values(self, plan: Plan, refs: Refs) -> tuple[Any, ...]:
        name = plan.head["customer_name"]
        return (None if name is None else refs["customers"][name],)


class BillWriter(DocumentWriter):
    """Bills: each creates its vendor and items when new; a new bill takes its vendor's
    currency unless the file gives one (SPEC B3)."""

    shape = DocumentShape(
        table=table_of(Bill),
        lines=table_of(BillLine),
        parent=table_of(Vendor),
        parent_fk="vendor_id",
        number="bill_number",
        line_fk="bill_id",
        price="unit_cost",
        head_columns=(
            "bill_date",
            "due_date",
            "currency",
            "shipping",
            "discount",
            "sales_tax",
            "other_charges",
        ),  # fmt: skip
        charges=("shipping", "sales_tax", "other_charges"),
    )
    parent_noun = "vendor"

    def _parent_registry(self) -> Registry:
        return Registry(self.ctx, self.shape.parent, "name", self.parent_noun, "currency")

    def _wanted_head(
        self, draft: Draft, existing: ExistingDocument | None, parent: Any
    ) -> dict[str, Any]:
        head = super()._wanted_head(draft, existing, parent)
        if head["currency"] is None:
            if existing:
                head["currency"] = existing.head[self.compared.index("currency")]
            else:
                head["currency"] = parent.currency if parent else self.ctx.home_currency
        return head

    def _new_parent(self, plan: Plan) -> dict[str, Any]:
        return {"currency": plan.head["currency"]}
