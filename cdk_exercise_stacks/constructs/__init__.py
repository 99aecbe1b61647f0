"""One construct per logical unit; the stacks only compose and wire them."""
