"""The template contract: the layout (every defined name, label and column), the template built from it,
the JSON Schema of the normalised record, and filling the template through its names."""
