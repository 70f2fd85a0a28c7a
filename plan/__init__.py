"""The offline plan: run a Pulumi Python program under mocks, gate it with a policy pack over gRPC."""
