"""The audit log: who looked at whose data, and when (verwerkingenlogging)."""
