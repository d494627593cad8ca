"""The routers of the API, one module per group of resources."""
