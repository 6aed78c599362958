"""The embedded default: everything on one machine without Docker. `devstack up` is what `make run`
calls; `LocalStack` is what the cross-service tests and benchmarks start."""
