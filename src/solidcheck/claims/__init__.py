"""Auditing product text for misused terms, unsupported claims and implausible figures."""
