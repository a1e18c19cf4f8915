"""Device drivers: one short class per device, over an injected bus, pin module or frame source."""
