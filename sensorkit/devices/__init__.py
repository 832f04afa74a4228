"""Device profiles: one module per sensor family; the interface is :mod:`.base`."""
