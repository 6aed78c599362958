"""Framework agreements and the shortlisted-service library (入围服务库)."""
