"""People and organisations: identifiers, contact details, preferences."""
