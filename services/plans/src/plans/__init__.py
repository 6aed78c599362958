"""Purchase plans (采购计划), plan lines and the reservation ledger."""
