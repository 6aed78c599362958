"""Orders (订单): logistics, invoices, acceptance, payment."""
