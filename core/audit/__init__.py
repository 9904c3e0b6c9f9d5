"""The audit log: who did what, when, in which tenant - never field values, tokens or cookies."""
