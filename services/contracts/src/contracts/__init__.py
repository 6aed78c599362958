"""Contracts (合同) and CA e-seals."""
