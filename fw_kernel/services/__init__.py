"""Use cases: they speak to storage only through the ports (``fw_kernel.ports``)."""
