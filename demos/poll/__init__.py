"""A poll of the room: one vote per device, each an Update checked by a validator; durable across a killed worker."""
